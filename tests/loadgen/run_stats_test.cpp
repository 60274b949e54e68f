#include "loadgen/run_stats.h"

#include <gtest/gtest.h>

#include "loadgen/report.h"

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

}  // namespace
}  // namespace loadlab::loadgen
