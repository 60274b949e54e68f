// Open-loop runs (--rate) and the coordinated-omission correction, against the real
// loadlab-server on loopback.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/loadgen/run_loadgen.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

TEST(OpenLoop, AchievedRateMatchesTheRequestedRate) {
  ServerProcess server;
  const auto result = loadgen(
      {"--rate", "400", "-c", "20", "-n", "1200", "--json", "-", "-q", base(server) + "/1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["requests"]["responses"], 1200);
  const double achieved = report["rate"]["achieved_rps"];
  EXPECT_NEAR(achieved, 400.0, 400.0 * 0.05);
  EXPECT_TRUE(report["rate"]["kept_up"]);
  EXPECT_EQ(report["config"]["rate"], 400.0);
  // Requests went out on schedule: 3 s of 1 s intervals, each near 400.
  const auto& intervals = report["intervals"];
  ASSERT_GE(intervals.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_NEAR(intervals[i]["responses"].get<double>(), 400.0, 40.0) << i;
}

TEST(OpenLoop, SeveralThreadsShareTheRate) {
  ServerProcess server;
  const auto result = loadgen({"--rate", "600", "-c", "20", "-t", "2", "-d", "2s", "--json", "-",
                               "-q", base(server) + "/0"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_NEAR(report["requests"]["total"].get<double>(), 1200.0, 1200.0 * 0.05);
}

// Coordinated omission: a server frozen for 1 s holds the requests in flight, and a closed loop
// would simply stop sending. The open loop keeps its schedule: the requests that should have
// started during the stall count their wait, so the corrected p99 shows the stall while the
// service time (from when each request was actually sent) hides it.
TEST(OpenLoop, AServerStallShowsInCorrectedLatencyNotInServiceTime) {
  ServerProcess server;
  const auto result =
      loadgen({"--rate", "500", "-c", "10", "-d", "5s", "--json", "-", "-q", base(server) + "/0"},
              [&server](pid_t) {
                // Well into the run, however long the loadgen took to start.
                eventually([&] { return delays_answered(server) >= 200; });
                server.signal(SIGSTOP);
                std::this_thread::sleep_for(1s);
                server.signal(SIGCONT);
              });
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["errors"]["timeout"], 0);
  const std::uint64_t corrected_p99 = report["latency_us"]["p99"];
  const std::uint64_t service_p99 = report["service_us"]["p99"];
  EXPECT_GE(corrected_p99, 500'000u);
  EXPECT_LT(service_p99, 400'000u);  // far from the stall, with room for a loaded machine
  EXPECT_GT(report["rate"]["late_starts"].get<int>(), 100);
  // The stall is in the time series too: the interval holding it has a p99 near 1 s.
  std::uint64_t worst = 0;
  for (const auto& interval : report["intervals"])
    worst = std::max<std::uint64_t>(worst, interval["latency_us"]["p99"]);
  EXPECT_GE(worst, 500'000u);
}

TEST(OpenLoop, IdleConnectionsTheServerClosesAreReusedOnce) {
  // Requests of 120 ms every 50 ms over 3 connections, and a server that closes a keep-alive
  // connection after 10 ms idle: connections are closed under the loadgen while it holds them
  // as idle. Each must be reconnected once when a request is due, and never be handed a second
  // request while it carries one (that lost requests: 38 of 40 recorded).
  ServerProcess server({"--keepalive-timeout-ms", "10"});
  const auto result =
      loadgen({"--rate", "20", "-c", "3", "-n", "40", "--json", "-", "-q", base(server) + "/120"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["requests"]["responses"], 40);
  EXPECT_EQ(report["requests"]["errors"], 0);
  EXPECT_GT(report["connections_opened"].get<int>(), 3);  // closed ones were reopened
}

// Each connection is bound to one of the URLs; when the target answers faster than the
// schedule, the same connection was always the free one and every request went to one URL.
TEST(OpenLoop, EveryUrlGetsItsShare) {
  ServerProcess server;
  const auto result = loadgen({"--rate", "200", "-c", "10", "-n", "300", "-q", base(server) + "/0",
                               base(server) + "/healthz"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto metrics = http_get(server.port(), "/metrics");
  ASSERT_TRUE(metrics);
  for (const char* route : {"delay", "healthz"}) {
    std::smatch match;
    ASSERT_TRUE(
        std::regex_search(metrics->body, match,
                          std::regex(std::string(R"(loadlab_http_requests_total\{route=")") +
                                     route + R"(",code="200"\} (\d+))")))
        << route;
    EXPECT_NEAR(std::stoi(match[1].str()), 150, 30)
        << route;  // the connections take turns (it was 0 and 300)
  }
}

// -d ends the run: requests still waiting for a connection are not sent after it (that ran a
// 1 s run for 10 s), they are reported as unsent.
TEST(OpenLoop, TheDurationEndsTheRunAndTheBacklogIsReportedUnsent) {
  ServerProcess server;
  const auto started = std::chrono::steady_clock::now();
  const auto result = loadgen(
      {"--rate", "1000", "-c", "2", "-d", "1s", "--json", "-", "-q", base(server) + "/100"});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_LT(took, 20s);  // a bound on termination, not a speed test: sending the backlog takes 49 s
  EXPECT_GT(report["rate"]["unsent"].get<int>(), 500);  // 2 connections carry at most 20 req/s
  EXPECT_FALSE(report["rate"]["kept_up"].get<bool>());
}

TEST(OpenLoop, ASlowTargetIsReportedAsNotKeepingUp) {
  ServerProcess server;
  // 4 connections of 100 ms requests carry at most 40 req/s; 200 were asked for.
  const auto result = loadgen({"--rate", "200", "-c", "4", "-d", "1s", base(server) + "/100"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Could not keep up"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("started late"), std::string::npos) << result.out;
}

// A request due before the deadline that is still waiting for a connection at the deadline is
// not sent after it: one connection, a slot every second; slot 1 (at 1 s) waits behind slot 0's
// 1.2 s response, and -d ends at 1.1 s, well before slot 2 (at 2 s) would end the schedule.
TEST(OpenLoop, BackloggedRequestsAreNotSentAfterTheDeadline) {
  ServerProcess server;
  const auto result = loadgen(
      {"--rate", "1", "-c", "1", "-d", "1100ms", "--json", "-", "-q", base(server) + "/1200"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_LT(report["rate"]["last_send_s"].get<double>(), 1.1);
  EXPECT_EQ(report["rate"]["unsent"], 1);
  EXPECT_EQ(report["requests"]["responses"], 1);
  EXPECT_EQ(report["requests"]["cancelled"], 0);
}

}  // namespace
}  // namespace loadlab::test
