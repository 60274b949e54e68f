#include "loadgen/run_stats.h"

#include <gtest/gtest.h>

#include "tests/loadgen/sample_stats.h"

namespace loadlab::loadgen {
namespace {

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

TEST(RunStats, IntervalsCountEachResponseAndErrorInItsSlice) {
  RunStats stats;
  stats.record_response(200, 100, 90, 200'000'000);     // 0.2 s
  stats.record_response(200, 5000, 80, 2'500'000'000);  // 2.5 s
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
  today.start_unix =
      1'086'400;  // a day later: wall-clock alignment would add 86 400 empty intervals
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
  stats.record_server_timing(
      "huge;dur=1e300");  // the histogram's overflow, not undefined behaviour
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

TEST(RunStats, StagesSentLateOfferedLessThanAsked) {
  // --stages 1000@10s: 10 000 requests, all sent, but the last one went out at 100 s.
  RunStats stats;
  stats.responses = 10'000;
  stats.stages_s = 10;
  stats.target_rate = 1000;
  stats.last_due_s = 9.999;
  stats.last_send_s = 100;
  const auto check = stats.rate_check();
  ASSERT_TRUE(check);
  EXPECT_LT(check->achieved, 0.2 * check->requested);
  EXPECT_FALSE(check->kept_up);
  EXPECT_DOUBLE_EQ(check->scheduled, 1000);  // the schedule itself asked for the stages' rate

  stats.last_send_s = 9.9995;  // on time: kept up
  EXPECT_TRUE(stats.rate_check()->kept_up);
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

}  // namespace
}  // namespace loadlab::loadgen
