// loadlab-loadgen capacity end to end, against the real server on loopback. The knee tested is
// a property of the server's design, not of the machine's speed: with --max-connections 4 and
// /100 (100 ms, no CPU), at most 4 requests are answered per 100 ms, so by Little's law no rate
// above 40 req/s can keep errors under 1%, whatever the machine. No assertion needs the machine
// to be fast.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/loadgen/run_loadgen.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

TEST(Capacity, FindsTheKneeLittlesLawSets) {
  ServerProcess server({"--threads", "1", "--max-connections", "4"});
  const auto result = loadgen({"capacity", "--rate", "10..160", "--step", "1s", "--settle", "300ms",
                               "--precision", "20%", "--slo", "errors<1%", "--slo", "delay.p50<10s",
                               "-c", "50", "--json", "-", base(server) + "/100"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["schema"], "loadlab-capacity/1");
  EXPECT_EQ(report["outcome"], "found") << report["summary"];
  const double capacity = report["capacity_rps"].get<double>();
  const double first_fail = report["first_failing_rps"].get<double>();
  // 4 connections x 10 answers per second each, and the window's edges (answers to requests
  // sent just before it) worth at most 10% more.
  EXPECT_LE(capacity, 44.0) << result.err;
  EXPECT_GE(capacity, 10.0) << result.err;
  EXPECT_LE((first_fail - capacity) / capacity, 0.20 + 1e-9);
  // Every step is reported with its figures and verdict; growth first, then bisection.
  const auto& steps = report["steps"];
  ASSERT_GE(steps.size(), 3u);
  EXPECT_EQ(steps[0]["asked_rps"], 10.0);
  EXPECT_EQ(steps[0]["phase"], "grow");
  EXPECT_EQ(steps[0]["verdict"], "pass");
  EXPECT_EQ(steps[1]["asked_rps"], 20.0);
  bool failed = false;
  for (const auto& step : steps) {
    EXPECT_TRUE(step.contains("latency_us") && step["latency_us"].contains("p99"));
    EXPECT_EQ(step["slo"].size(), 2u);
    EXPECT_EQ(step["report"]["schema"], "loadlab-report/1");
    // The step's embedded report was run at the step's rate, not at LO.
    EXPECT_EQ(step["report"]["config"]["rate"], step["asked_rps"]) << step["report"]["config"];
    EXPECT_NE(step["verdict"], "client_limited") << step.dump();
    if (step["verdict"] == "fail") failed = true;
  }
  EXPECT_TRUE(failed);
  // The human summary went to stderr (stdout carried the JSON).
  EXPECT_NE(result.err.find("capacity: "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("step  1  grow"), std::string::npos) << result.err;
}

TEST(Capacity, StopsWhenTheLoadgenItselfCannotKeepUp) {
  // One connection carries at most ~20 req/s of /50; 40 are asked. The server is fine (every
  // answer in 50 ms), so this must not be reported as the server's capacity.
  ServerProcess server;
  const std::string html = temp_file("capacity.html");
  const auto result = loadgen({"capacity", "--rate", "40..80", "--step", "1s", "--settle", "200ms",
                               "--slo", "p99<5s", "-c", "1", "--html", html, base(server) + "/50"});
  EXPECT_EQ(result.exit_code, 4) << result.out << result.err;
  EXPECT_NE(result.out.find("CLIENT-LIMITED"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("-c 1 connections carry at most"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("the client's limit, not the target's"), std::string::npos)
      << result.out;
  const std::string page = slurp(html);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("client_limited"), std::string::npos);
  std::remove(html.c_str());
}

TEST(Capacity, TheSettleIsLeftOutOfAStepsFigures) {
  // One step: 1 s of settle, then 0.5 s of figures at 40 req/s. With the settle counted, the
  // step would hold ~60 requests over ~1.5 s.
  ServerProcess server;
  const auto result = loadgen({"capacity", "--rate", "40..40", "--step", "500ms", "--settle", "1s",
                               "--slo", "errors<1%", "--json", "-", base(server) + "/0"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["outcome"], "high_passed");
  ASSERT_EQ(report["steps"].size(), 1u);
  const auto& step = report["steps"][0];
  EXPECT_GE(step["requests"].get<double>(), 15) << step.dump();
  EXPECT_LE(step["requests"].get<double>(), 35) << step.dump();
  EXPECT_LT(step["report"]["duration_s"].get<double>(), 1.0) << step["report"].dump();
}

TEST(Capacity, UsageErrorsBeforeAnyTraffic) {
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{"--rate", "10..100"}, "at least one --slo"},
      {{"--rate", "100", "--slo", "p99<1s"}, "expected LO..HI"},
      {{"--rate", "100..10", "--slo", "p99<1s"}, "LO is above HI"},
      {{"--rate", "0..10", "--slo", "p99<1s"}, "not a positive number"},
      {{"--rate", "1..10", "--slo", "rps>5"}, "an rps objective has no meaning"},
      {{"--rate", "1..10", "--slo", "queue.p101<1s"}, "percentile must be in (0, 100]"},
      {{"--rate", "1..10", "--slo", "p99<1s", "--precision", "0%"}, "not a positive number"},
      // A run's flags that a search cannot honour.
      {{"--rate", "1..10", "--slo", "p99<1s", "--start-at", "+1s"},
       "--start-at is not for capacity: each step starts when the one before it ends"},
      {{"--rate", "1..10", "--slo", "p99<1s", "--shard", "0/2"}, "--shard is not for capacity"},
      {{"--rate", "1..10", "--slo", "p99<1s", "--run-id", "x"}, "--run-id is not for capacity"},
      {{"--rate", "1..10", "--slo", "p99<1s", "--stages", "10@1s"}, "--stages is not for capacity"},
      {{"--rate", "1..10", "--slo", "p99<1s", "--concurrency-stages", "1@1s"},
       "--concurrency-stages is not for capacity"},
      {{"--rate", "1..10", "--slo", "p99<1s", "--scrape", "http://127.0.0.1:1/metrics"},
       "--scrape is not for capacity"},
      {{"--rate", "1..10", "--slo", "p99<1s", "--no-scrape"}, "--no-scrape is not for capacity"},
      {{"--rate", "1..10", "--slo", "p99<1s", "--scrape-series", "a", "--scrape-series", "b"},
       "--scrape-series is not for capacity"},
      {{"--rate", "1..10", "--slo", "p99<1s", "--metrics-listen", "0"},
       "--metrics-listen is not for capacity"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv = {"capacity"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("http://127.0.0.1:1/");
    const auto result = loadgen(argv);
    EXPECT_EQ(result.exit_code, 2) << message << ": " << result.err;
    EXPECT_NE(result.err.find(message), std::string::npos) << message << ": " << result.err;
  }
}

}  // namespace
}  // namespace loadlab::test
