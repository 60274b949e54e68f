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

}  // namespace
}  // namespace loadlab::loadgen
