// --slo on a real run: the verdicts in the summary and the JSON report, and exit codes 0, 3 and 2.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/loadgen/run_loadgen.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

TEST(Slo, PassingObjectivesExitZeroAndAreReported) {
  ServerProcess server;
  const auto result = loadgen({"-n", "200", "-c", "10", "--slo", "p99<5s", "--slo", "errors<1%",
                               "--slo", "rps>1", "--json", "-", base(server) + "/1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_TRUE(report["slo"]["passed"]);
  ASSERT_EQ(report["slo"]["results"].size(), 3u);
  EXPECT_EQ(report["slo"]["results"][0]["slo"], "p99<5s");
  EXPECT_NE(result.err.find("all passed"), std::string::npos) << result.err;
}

TEST(Slo, ABreachExitsThreeAndSaysWhich) {
  ServerProcess server;
  const auto result = loadgen(
      {"-n", "50", "-c", "10", "--slo", "p50<20ms", "--slo", "errors<1%", base(server) + "/50"});
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.out.find("BREACHED"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("p50<20ms: p50 "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("FAIL"), std::string::npos) << result.out;
}

TEST(Slo, ErrorObjectiveCountsFailedRequests) {
  ServerProcess server;
  // Every request times out: the server is reachable, so this is an SLO breach, not exit 1.
  const auto result = loadgen(
      {"-n", "6", "-c", "3", "--timeout", "50ms", "--slo", "errors<1%", base(server) + "/2000"});
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.out.find("errors 100% < 1%  FAIL"), std::string::npos) << result.out;
}

TEST(Slo, AMalformedObjectiveIsAUsageError) {
  for (const char* bad : {"p99", "p99<", "p101<1s", "latency<1s", "p99<1parsec", "errors<-1%"}) {
    const auto result = loadgen({"-n", "1", "--slo", bad, "http://127.0.0.1:1/"});
    EXPECT_EQ(result.exit_code, 2) << bad;
    EXPECT_NE(result.err.find("--slo"), std::string::npos) << bad << ": " << result.err;
  }
}

TEST(Slo, PhaseObjectivesOnARunAndOnAMerge) {
  ServerProcess server;
  const std::string json = temp_file("phase-slo.json");
  const auto met = loadgen({"-n", "20", "-c", "4", "--slo", "delay.p50<10s", "--slo",
                            "delay.p99>=5ms", "--json", json, base(server) + "/10"});
  EXPECT_EQ(met.exit_code, 0) << met.out << met.err;
  EXPECT_NE(met.out.find("delay.p50<10s: delay.p50 "), std::string::npos) << met.out;
  // The server said nothing of a queue for /N: an objective on it cannot pass.
  const auto absent = loadgen({"-n", "5", "-c", "1", "--slo", "queue.p99<1s", base(server) + "/1"});
  EXPECT_EQ(absent.exit_code, 3) << absent.out << absent.err;
  EXPECT_NE(absent.out.find("no response had Server-Timing 'queue'"), std::string::npos)
      << absent.out;
  // merge checks phase objectives on the merged figures.
  const auto merged = loadgen({"merge", json, json, "--slo", "delay.p50<5ms", "-q"});
  EXPECT_EQ(merged.exit_code, 3) << merged.out << merged.err;
  const auto merged_ok = loadgen({"merge", json, "--slo", "delay.max<10s", "-q"});
  EXPECT_EQ(merged_ok.exit_code, 0) << merged_ok.out << merged_ok.err;
  std::remove(json.c_str());
}

}  // namespace
}  // namespace loadlab::test
