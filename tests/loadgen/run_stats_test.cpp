#include "loadgen/run_stats.h"

#include <gtest/gtest.h>

#include "loadgen/outputs/json_report.h"
#include "loadgen/outputs/wording.h"

namespace loadlab::loadgen {
namespace {

RunStats sample(std::uint64_t base, double start) {
  RunStats stats;
  for (std::uint64_t i = 0; i < 100; ++i) stats.record_response(i % 10 ? 200 : 503, base + i * 37);
  stats.record_error(ErrorKind::kTimeout);
  stats.record_server_timing("delay;dur=12.5");
  stats.start_unix = start;
  stats.end_unix = start + 2;
  return stats;
}

TEST(RunStats, MergeAddsEverything) {
  RunStats a = sample(1000, 100), b = sample(5000, 101);
  a.merge(b);
  EXPECT_EQ(a.responses, 200u);
  EXPECT_EQ(a.status_codes[200], 180u);
  EXPECT_EQ(a.status_codes[503], 20u);
  EXPECT_EQ(a.errors[static_cast<std::size_t>(ErrorKind::kTimeout)], 2u);
  EXPECT_EQ(a.total(), 202u);
  EXPECT_EQ(a.server_timing_us.at("delay").count(), 2u);
  EXPECT_DOUBLE_EQ(a.duration_s(), 3.0);  // the union of both time spans
  EXPECT_EQ(a.runs_merged, 2u);
}

TEST(Report, JsonRoundTripAndSchema) {
  const RunStats stats = sample(1000, 1700000000.5);
  RunOptions options;
  options.urls = {"http://127.0.0.1:1/{rand:1:5}"};
  const nlohmann::json json = report_to_json(stats, options_to_json(options));
  for (const char* key : {"schema", "tool", "config", "start_time", "start_unix", "end_unix", "duration_s", "requests",
                          "throughput_rps", "status_codes", "errors", "latency_us", "latency_histogram", "server_timing"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["schema"], "loadlab-report/1");
  for (const char* key : {"p50", "p75", "p90", "p99", "p99_9", "p99_99", "min", "max", "mean", "stddev"}) {
    EXPECT_TRUE(json["latency_us"].contains(key)) << key;
  }
  const RunStats back = report_from_json(nlohmann::json::parse(json.dump()));
  EXPECT_EQ(report_to_json(back, options_to_json(options)), json);
  EXPECT_THROW(report_from_json(nlohmann::json{{"schema", "other"}}), std::invalid_argument);
  EXPECT_THROW(report_from_json(nlohmann::json{{"schema", "loadlab-report/1"}}), std::invalid_argument);
}

TEST(RunStats, IntervalsCountEachResponseAndErrorInItsSlice) {
  RunStats stats;
  stats.record_response(200, 100, 90, 200'000'000);    // 0.2 s
  stats.record_response(200, 5000, 80, 2'500'000'000); // 2.5 s
  stats.record_error(ErrorKind::kReset, 2'900'000'000);
  ASSERT_EQ(stats.intervals.size(), 3u);
  EXPECT_EQ(stats.intervals[0].responses, 1u);
  EXPECT_EQ(stats.intervals[1].responses, 0u);
  EXPECT_EQ(stats.intervals[2].responses, 1u);
  EXPECT_EQ(stats.intervals[2].errors, 1u);
  EXPECT_EQ(stats.service_us.max(), 90u);
  EXPECT_EQ(stats.latency_us.max(), 5000u);
}

TEST(RunStats, MergedIntervalsLineUpOnTheWallClock) {
  RunStats early, late;
  early.start_unix = 100;
  late.start_unix = 102;  // started two intervals later
  early.record_response(200, 10, 10, 0);
  late.record_response(200, 20, 20, 0);
  early.merge(late);
  ASSERT_EQ(early.intervals.size(), 3u);
  EXPECT_EQ(early.intervals[0].responses, 1u);
  EXPECT_EQ(early.intervals[2].responses, 1u);

  RunStats first_late = late;  // and the other way round
  RunStats second_early;
  second_early.start_unix = 100;
  second_early.record_response(200, 10, 10, 0);
  first_late.merge(second_early);
  ASSERT_EQ(first_late.intervals.size(), 3u);
  EXPECT_EQ(first_late.intervals[0].responses, 1u);
  EXPECT_EQ(first_late.intervals[2].responses, 1u);
  EXPECT_EQ(first_late.start_unix, 100);
}

TEST(RunStats, RunsThatDidNotOverlapAreLaidOverEachOtherFromTheirStarts) {
  RunStats yesterday, today;
  yesterday.start_unix = 1'000'000;
  yesterday.end_unix = 1'000'002;
  today.start_unix = 1'086'400;  // a day later: wall-clock alignment would add 86 400 empty intervals
  today.end_unix = 1'086'402;
  yesterday.record_response(200, 10, 10, 0);
  today.record_response(200, 20, 20, 1'500'000'000);
  yesterday.merge(today);
  ASSERT_EQ(yesterday.intervals.size(), 2u);
  EXPECT_EQ(yesterday.intervals[0].responses, 1u);
  EXPECT_EQ(yesterday.intervals[1].responses, 1u);
}

TEST(RunStats, TimeSeriesOfDifferentIntervalsDoNotMerge) {
  RunStats a, b;
  b.interval_ms = 100;
  a.record_response(200, 10, 10, 0);
  b.record_response(200, 10, 10, 0);
  EXPECT_THROW(a.merge(b), std::invalid_argument);
}

TEST(RunStats, ServerTimingKeepsABoundedNumberOfMetrics) {
  RunStats stats;
  for (int i = 0; i < 100; ++i) stats.record_server_timing("m" + std::to_string(i) + ";dur=1");
  EXPECT_EQ(stats.server_timing_us.size(), kMaxServerTimingMetrics);
  stats.record_server_timing("huge;dur=1e300");  // the histogram's overflow, not undefined behaviour
}

TEST(RunStats, ATrailingFragmentFoldsIntoTheIntervalBefore) {
  RunStats stats;
  stats.start_unix = 100;
  stats.end_unix = 102.004;  // a 2 s run whose last response landed 4 ms late
  stats.record_response(200, 10, 10, 500'000'000);
  stats.record_response(200, 10, 10, 1'500'000'000);
  stats.record_response(200, 10, 10, 2'003'000'000);
  ASSERT_EQ(stats.intervals.size(), 3u);
  stats.fold_trailing_fragment();
  ASSERT_EQ(stats.intervals.size(), 2u);
  EXPECT_EQ(stats.intervals[1].responses, 2u);
  EXPECT_NEAR(stats.interval_length_s(1), 1.004, 1e-9);  // the last one ends with the run
  EXPECT_DOUBLE_EQ(stats.interval_length_s(0), 1.0);

  RunStats long_tail = stats;
  long_tail.end_unix = 102.6;  // more than half an interval: a real interval of its own
  long_tail.record_response(200, 10, 10, 2'500'000'000);
  long_tail.fold_trailing_fragment();
  EXPECT_EQ(long_tail.intervals.size(), 3u);
  EXPECT_NEAR(long_tail.interval_length_s(2), 0.6, 1e-9);
}

TEST(RunStats, RatesOfParallelRunsAddUp) {
  RunStats a, b;
  a.target_rate = 100;
  b.target_rate = 50;
  a.late_starts = 1;
  b.late_starts = 2;
  a.merge(b);
  EXPECT_DOUBLE_EQ(*a.target_rate, 150);
  EXPECT_EQ(a.late_starts, 3u);
}

TEST(Report, OpenLoopFieldsRoundTrip) {
  RunStats stats;
  stats.start_unix = 1000;
  stats.end_unix = 1002;
  stats.target_rate = 1.0;
  stats.late_starts = 1;
  stats.max_start_lag_us = 40'000;
  stats.record_response(200, 50'000, 10'000, 0);
  stats.record_response(200, 1'000, 1'000, 1'500'000'000);
  const auto json = report_to_json(stats, nlohmann::json::object(), {evaluate_slo(parse_slo("rps>0.5"), stats)});
  EXPECT_EQ(json["rate"]["requested_rps"], 1.0);
  EXPECT_TRUE(json["rate"]["kept_up"]);
  EXPECT_EQ(json["service_us"]["max"], 10'000);
  ASSERT_EQ(json["intervals"].size(), 2u);
  EXPECT_EQ(json["intervals"][1]["t_s"], 1.0);
  EXPECT_EQ(json["intervals"][0]["latency_us"]["p99"], 50'000);
  EXPECT_TRUE(json["slo"]["passed"]);
  const RunStats back = report_from_json(json);
  EXPECT_EQ(back.service_us.max(), 10'000u);
  EXPECT_EQ(back.intervals.size(), 2u);
  EXPECT_EQ(back.intervals[1].latency_us.count(), 1u);
  EXPECT_EQ(*back.target_rate, 1.0);
  EXPECT_EQ(back.late_starts, 1u);
  EXPECT_EQ(back.max_start_lag_us, 40'000u);
}

TEST(Report, ClosedLoopRunsHaveNoRate) {
  RunStats stats;
  stats.record_response(200, 5);
  EXPECT_TRUE(report_to_json(stats, nlohmann::json::object())["rate"].is_null());
}

TEST(RunStats, MergedUrlRowsStopAtTheBoundAndTheRestIsOther) {
  RunStats a, b;
  std::vector<std::string> first, second;
  for (int i = 0; i < 80; ++i) first.push_back("http://h/a" + std::to_string(i));
  for (int i = 0; i < 80; ++i) second.push_back("http://h/b" + std::to_string(i));
  a.set_urls(first);
  b.set_urls(second);
  for (std::size_t i = 0; i < 80; ++i) {
    a.record_response(200, 10);
    a.record_url_response(i, 200, 10);
    b.record_response(200, 20);
    b.record_url_response(i, 200, 20);
  }
  a.merge(b);
  ASSERT_EQ(a.by_url.size(), kMaxUrlRows + 1);
  EXPECT_EQ(a.by_url.back().url, kOtherUrls);
  EXPECT_EQ(a.by_url.back().total(), 60u);
  EXPECT_EQ(a.by_url_total(), a.total());
  a.merge(a);  // and "(other)" rows add up with each other
  EXPECT_EQ(a.by_url.size(), kMaxUrlRows + 1);
  EXPECT_EQ(a.by_url_total(), 320u);
}

TEST(RunStats, ThreadsMergeTheirRowsByIndex) {
  RunStats a, b;
  a.set_urls({"http://h/x", "http://h/y"});
  b.set_urls({"http://h/x", "http://h/y"});
  b.record_url_response(1, 200, 5);
  b.record_cancelled(0);
  a.merge(b);
  ASSERT_EQ(a.by_url.size(), 2u);
  EXPECT_EQ(a.by_url[1].responses, 1u);
  EXPECT_EQ(a.by_url[0].cancelled, 1u);
  EXPECT_EQ(a.cancelled, 1u);
  EXPECT_EQ(a.total(), 0u);  // a cancel is neither a response nor an error
}

TEST(Report, AMergeWithAReportWithoutUrlRowsSaysSo) {
  RunStats newer = sample(1000, 100);
  newer.set_urls({"http://h/x"});
  for (std::uint64_t i = 0; i < newer.total(); ++i) newer.record_url_response(0, 200, 10);
  EXPECT_TRUE(report_notes(newer).empty());
  nlohmann::json older = report_to_json(sample(1000, 100), nlohmann::json::object());
  older.erase("by_url");
  older.erase("notes");
  newer.merge(report_from_json(older));
  const auto notes = report_notes(newer);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("cover 101 of 202"), std::string::npos) << notes[0];
  EXPECT_EQ(report_to_json(newer, nlohmann::json::object())["notes"][0], notes[0]);
}

TEST(Report, OlderReportsCancelledErrorsAreReadAsCancelled) {
  nlohmann::json older = report_to_json(sample(1000, 100), nlohmann::json::object());
  older["errors"]["cancelled"] = 7;
  older["requests"].erase("cancelled");
  const RunStats read = report_from_json(older);
  EXPECT_EQ(read.cancelled, 7u);
  EXPECT_EQ(read.total(), 101u);
}

// Found by report_merge_fuzz: counts that are floats out of range (1e82, undefined behaviour to
// convert) or negative, and status codes std::stoi refused with std::out_of_range (which the
// merge command does not catch) or took in part ("2x" as 2).
TEST(Report, FromJsonRefusesNumbersThatAreNotCounts) {
  const nlohmann::json good = report_to_json(sample(1000, 1700000000.5), nlohmann::json::object());
  ASSERT_NO_THROW(report_from_json(good));
  for (const nlohmann::json& number : {nlohmann::json(1e82), nlohmann::json(-1), nlohmann::json(2.5)}) {
    std::vector<nlohmann::json> bad(6, good);
    bad[0]["requests"]["responses"] = number;
    bad[1]["interval_ms"] = number;
    bad[2]["status_codes"]["200"] = number;
    bad[3]["errors"]["timeout"] = number;
    bad[4]["runs_merged"] = number;
    bad[5]["bytes_read"] = number;
    for (std::size_t i = 0; i < bad.size(); ++i) {
      EXPECT_THROW(report_from_json(bad[i]), std::invalid_argument) << i << ": " << number;
    }
  }
  for (const char* status : {"99999999999", "2x", "-200", "", "20"}) {
    nlohmann::json bad = good;
    bad["status_codes"][status] = 1;
    EXPECT_THROW(report_from_json(bad), std::invalid_argument) << status;
  }
}

}  // namespace
}  // namespace loadlab::loadgen
