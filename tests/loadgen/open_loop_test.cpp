// Open-loop runs (--rate), the coordinated-omission correction, SLO exit codes, Ctrl-C and the
// HTML report, against the real loadlab-server on loopback.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

std::string base(const ServerProcess& server) { return "http://127.0.0.1:" + std::to_string(server.port()); }

CommandResult loadgen(std::vector<std::string> args, const std::function<void(pid_t)>& meanwhile = {}) {
  args.insert(args.begin(), LOADLAB_LOADGEN_BIN);
  return run_command(args, 150s, meanwhile);
}

// Requests the server has answered on /N so far.
double delays_answered(const ServerProcess& server) {
  return metric(server.port(), R"(loadlab_http_requests_total{route="delay",code="200"})");
}

std::string temp_file(const char* name) { return std::string("/tmp/loadlab-test-") + std::to_string(getpid()) + "-" + name; }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(OpenLoop, AchievedRateMatchesTheRequestedRate) {
  ServerProcess server;
  const auto result = loadgen({"--rate", "400", "-c", "20", "-n", "1200", "--json", "-", "-q", base(server) + "/1"});
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
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(intervals[i]["responses"].get<double>(), 400.0, 40.0) << i;
}

TEST(OpenLoop, SeveralThreadsShareTheRate) {
  ServerProcess server;
  const auto result = loadgen({"--rate", "600", "-c", "20", "-t", "2", "-d", "2s", "--json", "-", "-q", base(server) + "/0"});
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
  const auto result = loadgen({"--rate", "500", "-c", "10", "-d", "5s", "--json", "-", "-q", base(server) + "/0"},
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
  for (const auto& interval : report["intervals"]) worst = std::max<std::uint64_t>(worst, interval["latency_us"]["p99"]);
  EXPECT_GE(worst, 500'000u);
}

TEST(OpenLoop, IdleConnectionsTheServerClosesAreReusedOnce) {
  // Requests of 120 ms every 50 ms over 3 connections, and a server that closes a keep-alive
  // connection after 10 ms idle: connections are closed under the loadgen while it holds them
  // as idle. Each must be reconnected once when a request is due, and never be handed a second
  // request while it carries one (that lost requests: 38 of 40 recorded).
  ServerProcess server({"--keepalive-timeout-ms", "10"});
  const auto result = loadgen({"--rate", "20", "-c", "3", "-n", "40", "--json", "-", "-q", base(server) + "/120"});
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
  const auto result = loadgen({"--rate", "200", "-c", "10", "-n", "300", "-q", base(server) + "/0", base(server) + "/healthz"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto metrics = http_get(server.port(), "/metrics");
  ASSERT_TRUE(metrics);
  for (const char* route : {"delay", "healthz"}) {
    std::smatch match;
    ASSERT_TRUE(std::regex_search(metrics->body, match,
                                  std::regex(std::string(R"(loadlab_http_requests_total\{route=")") + route + R"(",code="200"\} (\d+))")))
        << route;
    EXPECT_NEAR(std::stoi(match[1].str()), 150, 30) << route;  // the connections take turns (it was 0 and 300)
  }
}

// -d ends the run: requests still waiting for a connection are not sent after it (that ran a
// 1 s run for 10 s), they are reported as unsent.
TEST(OpenLoop, TheDurationEndsTheRunAndTheBacklogIsReportedUnsent) {
  ServerProcess server;
  const auto started = std::chrono::steady_clock::now();
  const auto result = loadgen({"--rate", "1000", "-c", "2", "-d", "1s", "--json", "-", "-q", base(server) + "/100"});
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

TEST(Slo, PassingObjectivesExitZeroAndAreReported) {
  ServerProcess server;
  const auto result = loadgen({"-n", "200", "-c", "10", "--slo", "p99<5s", "--slo", "errors<1%", "--slo", "rps>1",
                               "--json", "-", base(server) + "/1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_TRUE(report["slo"]["passed"]);
  ASSERT_EQ(report["slo"]["results"].size(), 3u);
  EXPECT_EQ(report["slo"]["results"][0]["slo"], "p99<5s");
  EXPECT_NE(result.err.find("all passed"), std::string::npos) << result.err;
}

TEST(Slo, ABreachExitsThreeAndSaysWhich) {
  ServerProcess server;
  const auto result = loadgen({"-n", "50", "-c", "10", "--slo", "p50<20ms", "--slo", "errors<1%", base(server) + "/50"});
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.out.find("BREACHED"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("p50<20ms: p50 "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("FAIL"), std::string::npos) << result.out;
}

TEST(Slo, ErrorObjectiveCountsFailedRequests) {
  ServerProcess server;
  // Every request times out: the server is reachable, so this is an SLO breach, not exit 1.
  const auto result = loadgen({"-n", "6", "-c", "3", "--timeout", "50ms", "--slo", "errors<1%", base(server) + "/2000"});
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

TEST(Interrupt, CtrlCStopsSendingAndReportsWhatWasMeasured) {
  ServerProcess server;
  const auto started = std::chrono::steady_clock::now();
  const auto result = loadgen({"-d", "30s", "-c", "10", "--json", "-", "-q", base(server) + "/20"}, [&server](pid_t pid) {
    eventually([&] { return delays_answered(server) >= 150; }, 20s);
    kill(pid, SIGINT);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - started, 28s);  // before -d would have ended it
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_GT(report["requests"]["responses"].get<int>(), 100);
  // In-flight requests were given their grace period: nothing was cut off.
  EXPECT_EQ(report["requests"]["errors"], 0);
}

TEST(Progress, NothingWhenNotOnATerminal) {
  ServerProcess server;
  const auto result = loadgen({"-d", "1500ms", "-c", "5", "-q", base(server) + "/5"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  const auto chatty = loadgen({"-d", "1500ms", "-c", "5", base(server) + "/5"});
  EXPECT_EQ(chatty.err.find("p99 so far"), std::string::npos) << chatty.err;
}

TEST(Progress, ALiveLineOnATerminal) {
  ServerProcess server;
  // script(1) runs the command on a pseudo-terminal, as a user's shell would.
  const std::string command = std::string(LOADLAB_LOADGEN_BIN) + " -d 2500ms -c 5 " + base(server) + "/5";
  const auto result = run_command({"script", "-qec", command, "/dev/null"}, 60s);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("\r"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("req/s"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("p99 so far"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Requests:"), std::string::npos) << result.out;
}

TEST(HtmlReport, IsSelfContainedWithEveryPlot) {
  ServerProcess server;
  const std::string html_path = temp_file("report.html");
  const auto result = loadgen({"--rate", "200", "-c", "10", "-d", "2s", "--html", html_path, "-q", base(server) + "/2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string html = slurp(html_path);
  std::remove(html_path.c_str());
  ASSERT_FALSE(html.empty());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* plot : {"Latency by percentile", "Latency over time", "Throughput and errors over time",
                           "Status codes and errors", "Where the time went"}) {
    EXPECT_NE(html.find(std::string("aria-label=\"") + plot), std::string::npos) << plot;
  }
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  // Nothing is fetched: no scripts, no links, no external stylesheets or images.
  for (const char* fetch : {"<script", "src=", "href=", "url(", "@import"}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
}

// A request due before the deadline that is still waiting for a connection at the deadline is
// not sent after it: one connection, a slot every second; slot 1 (at 1 s) waits behind slot 0's
// 1.2 s response, and -d ends at 1.1 s, well before slot 2 (at 2 s) would end the schedule.
TEST(OpenLoop, BackloggedRequestsAreNotSentAfterTheDeadline) {
  ServerProcess server;
  const auto result = loadgen({"--rate", "1", "-c", "1", "-d", "1100ms", "--json", "-", "-q", base(server) + "/1200"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_LT(report["rate"]["last_send_s"].get<double>(), 1.1);
  EXPECT_EQ(report["rate"]["unsent"], 1);
  EXPECT_EQ(report["requests"]["responses"], 1);
  EXPECT_EQ(report["requests"]["cancelled"], 0);
}

}  // namespace
}  // namespace loadlab::test
