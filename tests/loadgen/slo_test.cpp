#include "loadgen/slo.h"

#include <gtest/gtest.h>

namespace loadlab::loadgen {
namespace {

TEST(SloParse, LatencyObjectivesInEveryUnit) {
  const Slo p99 = parse_slo("p99<250ms");
  EXPECT_EQ(p99.metric, Slo::Metric::kPercentile);
  EXPECT_DOUBLE_EQ(p99.percentile, 99);
  EXPECT_EQ(p99.op, Slo::Op::kLess);
  EXPECT_DOUBLE_EQ(p99.threshold, 250'000);
  EXPECT_DOUBLE_EQ(parse_slo("p99.9 <= 1.5s").threshold, 1'500'000);
  EXPECT_EQ(parse_slo("p99.9 <= 1.5s").op, Slo::Op::kLessEqual);
  EXPECT_DOUBLE_EQ(parse_slo("p99.9<=1.5s").percentile, 99.9);
  EXPECT_DOUBLE_EQ(parse_slo("mean<800us").threshold, 800);
  EXPECT_DOUBLE_EQ(parse_slo("max<3").threshold, 3000);  // ms when no unit is given
  EXPECT_EQ(parse_slo("max<3").metric, Slo::Metric::kMax);
}

TEST(SloParse, ErrorsAndThroughput) {
  const Slo errors = parse_slo("errors<1%");
  EXPECT_EQ(errors.metric, Slo::Metric::kErrorPercent);
  EXPECT_DOUBLE_EQ(errors.threshold, 1);
  const Slo rps = parse_slo("rps>=1000");
  EXPECT_EQ(rps.metric, Slo::Metric::kRps);
  EXPECT_EQ(rps.op, Slo::Op::kGreaterEqual);
  EXPECT_DOUBLE_EQ(rps.threshold, 1000);
  EXPECT_EQ(parse_slo("rps>5").op, Slo::Op::kGreater);
  EXPECT_EQ(parse_slo("rps>5").text, "rps>5");
}

TEST(SloParse, RejectsWhatItCannotRead) {
  for (const char* bad :
       {"", "p99", "p99<", "p0<1s", "p100.5<1s", "px<1s", "latency<1s", "p99<1parsec", "errors<-1%",
        "rps>fast", "p99=1s", "pnan<1s", "errors<inf", "p99<nanms", "rps>1e999"}) {
    EXPECT_THROW(parse_slo(bad), std::invalid_argument) << bad;
  }
}

RunStats run_with(std::uint64_t responses, std::uint64_t latency_us, std::uint64_t errors,
                  double seconds) {
  RunStats stats;
  for (std::uint64_t i = 0; i < responses; ++i) stats.record_response(200, latency_us);
  for (std::uint64_t i = 0; i < errors; ++i) stats.record_error(ErrorKind::kTimeout);
  stats.start_unix = 1000;
  stats.end_unix = 1000 + seconds;
  return stats;
}

TEST(SloEvaluate, ComparesInTheThresholdsUnit) {
  const RunStats stats = run_with(99, 200'000, 1, 2.0);  // 100 requests in 2 s, 1% errors
  EXPECT_TRUE(evaluate_slo(parse_slo("p99<250ms"), stats).passed);
  EXPECT_FALSE(evaluate_slo(parse_slo("p99<150ms"), stats).passed);
  EXPECT_NEAR(evaluate_slo(parse_slo("p50<1s"), stats).actual, 200'000, 200);
  EXPECT_FALSE(evaluate_slo(parse_slo("errors<1%"), stats).passed);
  EXPECT_TRUE(evaluate_slo(parse_slo("errors<=1%"), stats).passed);
  EXPECT_DOUBLE_EQ(evaluate_slo(parse_slo("errors<1%"), stats).actual, 1.0);
  EXPECT_TRUE(evaluate_slo(parse_slo("rps>=50"), stats).passed);
  EXPECT_FALSE(evaluate_slo(parse_slo("rps>50"), stats).passed);
}

TEST(SloEvaluate, ServerErrorsCountAsErrors) {
  RunStats stats = run_with(9, 1000, 0, 1.0);
  stats.record_response(503, 1000);
  stats.record_response(404, 1000);  // the client asked for something absent: not a failure
  EXPECT_NEAR(evaluate_slo(parse_slo("errors<1%"), stats).actual, 100.0 / 11, 1e-9);
}

TEST(SloEvaluate, NoResponsesFailLatencyObjectives) {
  const RunStats empty = run_with(0, 0, 5, 1.0);
  EXPECT_FALSE(evaluate_slo(parse_slo("p99<1s"), empty).passed);
  EXPECT_FALSE(evaluate_slo(parse_slo("max<1s"), empty).passed);
  const auto results = evaluate_slos({parse_slo("p99<1s"), parse_slo("rps>0")}, empty);
  EXPECT_FALSE(all_passed(results));
  EXPECT_TRUE(all_passed({}));
}

TEST(SloDescribe, SaysWhatWasMeasured) {
  const RunStats stats = run_with(10, 300'000, 0, 1.0);
  EXPECT_EQ(describe(evaluate_slo(parse_slo("p99<250ms"), stats)).substr(0, 8), "p99 300.");
  EXPECT_NE(describe(evaluate_slo(parse_slo("p99<250ms"), stats)).find("< 250.00ms  FAIL"),
            std::string::npos);
}

TEST(SloParse, ServerTimingPhases) {
  const Slo queue = parse_slo("queue.p99<50ms");
  EXPECT_EQ(queue.phase, "queue");
  EXPECT_EQ(queue.metric, Slo::Metric::kPercentile);
  EXPECT_DOUBLE_EQ(queue.percentile, 99);
  EXPECT_DOUBLE_EQ(queue.threshold, 50'000);
  const Slo compute = parse_slo(" compute.p50 <= 5ms ");
  EXPECT_EQ(compute.phase, "compute");
  EXPECT_EQ(compute.op, Slo::Op::kLessEqual);
  EXPECT_DOUBLE_EQ(compute.percentile, 50);
  EXPECT_DOUBLE_EQ(parse_slo("queue.p99.9<1s").percentile, 99.9);
  EXPECT_EQ(parse_slo("delay.mean<110ms").metric, Slo::Metric::kMean);
  EXPECT_EQ(parse_slo("delay.max<2s").metric, Slo::Metric::kMax);
  EXPECT_EQ(parse_slo("delay.max<2s").phase, "delay");
  // The client's own metrics keep their meaning: a dotted percentile is not a phase.
  EXPECT_TRUE(parse_slo("p99.9<1s").phase.empty());
  EXPECT_TRUE(parse_slo("p99<1s").phase.empty());
}

TEST(SloParse, BadPhaseObjectivesSayWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"queue.p101<1s", "percentile must be in (0, 100]"},
      {"queue.latency<1s", "unknown statistic 'latency' of the phase 'queue'"},
      {"queue.<1s", "unknown statistic '' of the phase 'queue'"},
      {".p99<1s", "'' is not a Server-Timing metric name"},
      {"que ue.p99<1s", "'que ue' is not a Server-Timing metric name"},
      {"queue.errors<1%", "unknown statistic 'errors'"},
      {"queue.p99<1parsec", "is not a non-negative number"},
      {"latency<1s", "queue.p99"},  // the list of metrics names the phases too
  };
  for (const auto& [bad, message] : cases) {
    try {
      parse_slo(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find(message), std::string::npos)
          << bad << ": " << error.what();
      EXPECT_NE(std::string(error.what()).find(std::string("'") + bad + "'"), std::string::npos)
          << bad << ": " << error.what();
    }
  }
}

TEST(SloEvaluate, PhaseObjectivesReadTheServersTimings) {
  RunStats stats = run_with(100, 900'000, 0, 1.0);  // the client saw 900 ms
  for (int i = 0; i < 99; ++i) stats.record_server_timing("queue;dur=2, compute;dur=4.5");
  stats.record_server_timing("queue;dur=80, compute;dur=4.5");
  EXPECT_TRUE(evaluate_slo(parse_slo("compute.p50<5ms"), stats).passed);
  EXPECT_NEAR(evaluate_slo(parse_slo("compute.p50<5ms"), stats).actual, 4'500, 10);
  EXPECT_FALSE(evaluate_slo(parse_slo("compute.p50<4ms"), stats).passed);
  EXPECT_TRUE(evaluate_slo(parse_slo("queue.p99<50ms"), stats).passed);
  EXPECT_FALSE(evaluate_slo(parse_slo("queue.max<50ms"), stats).passed);
  EXPECT_FALSE(evaluate_slo(parse_slo("p99<50ms"), stats).passed);  // the client's latency
  const SloResult described = evaluate_slo(parse_slo("queue.p99<50ms"), stats);
  EXPECT_EQ(describe(described).substr(0, 15), "queue.p99 2.00m") << describe(described);
}

TEST(SloEvaluate, APhaseNoResponseReportedFails) {
  RunStats stats = run_with(10, 1000, 0, 1.0);
  stats.record_server_timing("delay;dur=1");
  const SloResult result = evaluate_slo(parse_slo("queue.p99<50ms"), stats);
  EXPECT_FALSE(result.passed);
  EXPECT_TRUE(result.no_data);
  EXPECT_NE(describe(result).find("no response had Server-Timing 'queue'"), std::string::npos)
      << describe(result);
}

}  // namespace
}  // namespace loadlab::loadgen
