// loadlab-loadgen against the real loadlab-server (and against broken servers) on loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "common/latency_histogram.h"
#include "tests/loadgen/fake_server.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

std::string base(const ServerProcess& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

CommandResult loadgen(std::vector<std::string> args, std::chrono::milliseconds timeout = 150s) {
  args.insert(args.begin(), LOADLAB_LOADGEN_BIN);
  return run_command(args, timeout);
}

nlohmann::json json_of(const CommandResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

std::string temp_file(const char* name) {
  return std::string("/tmp/loadlab-test-") + std::to_string(getpid()) + "-" + name;
}

// Accepts and resets every connection at once.
void reset_at_once(int client, const std::atomic<bool>&) {
  linger hard{1, 0};  // close with RST
  setsockopt(client, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  close(client);
}

// Reads request heads (no bodies) from `client`; for each, `answer` says whether to answer it
// (200, kept alive) or to close the connection without a word. Returns when it closes.
void serve_heads(int client, const std::atomic<bool>& stop,
                 const std::function<bool(int request_on_connection)>& answer) {
  std::string received;
  char buffer[4096];
  int requests = 0;
  while (!stop) {
    pollfd p{client, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = read(client, buffer, sizeof buffer);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t end; (end = received.find("\r\n\r\n")) != std::string::npos;) {
      received.erase(0, end + 4);
      if (!answer(++requests)) {
        close(client);  // everything sent was read: a FIN, as an idle timeout's close is
        return;
      }
      const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      (void)!write(client, ok, sizeof ok - 1);
    }
  }
  close(client);
}

// Answers the first request of each connection, then closes it as the second arrives: the
// server's keep-alive timeout and the client's next request crossing, every time.
void close_when_reused(int client, const std::atomic<bool>& stop) {
  serve_heads(client, stop, [](int request) { return request == 1; });
}

// Answers 413 as soon as the headers are in, keeps the connection open (as nginx does), and
// reads the rest of the body slowly until the client closes.
void answer_before_the_body(int client, const std::atomic<bool>& stop) {
  std::string received;
  char buffer[4096];
  bool answered = false;
  while (!stop) {
    pollfd p{client, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = read(client, buffer, sizeof buffer);
    if (n <= 0) break;
    if (answered) {
      std::this_thread::sleep_for(1ms);  // slow: the client's write stays pending
      continue;
    }
    received.append(buffer, static_cast<std::size_t>(n));
    if (received.find("\r\n\r\n") == std::string::npos) continue;
    const std::string response = "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n";
    (void)!write(client, response.data(), response.size());
    answered = true;
  }
  close(client);
}

TEST(Loadgen, MakesExactlyNRequestsAndRecordsThemAll) {
  ServerProcess server;
  const auto report =
      json_of(loadgen({"-n", "500", "-c", "20", "-t", "2", "--json", "-", base(server) + "/1"}));
  EXPECT_EQ(report["requests"]["total"], 500);
  EXPECT_EQ(report["requests"]["responses"], 500);
  EXPECT_EQ(report["status_codes"]["200"], 500);
  EXPECT_EQ(report["latency_histogram"]["count"], 500);
  // Counted once each response's write has completed, which may be after the loadgen read it.
  EXPECT_TRUE(eventually([&] {
    return metric(server.port(), R"(loadlab_http_requests_total{route="delay",code="200"})") == 500;
  }));
}

TEST(Loadgen, NeverMoreThanConcurrencyInFlight) {
  ServerProcess server;
  std::atomic<bool> done{false};
  double peak = 0;
  std::thread watcher([&] {
    while (!done) {
      peak = std::max(
          peak, metric(server.port(), "loadlab_http_requests_in_flight") - 1);  // minus the scrape
      std::this_thread::sleep_for(20ms);
    }
  });
  const auto result = loadgen({"-n", "100", "-c", "10", "--json", "-", base(server) + "/300"});
  done = true;
  watcher.join();
  EXPECT_EQ(json_of(result)["requests"]["responses"], 100);
  EXPECT_LE(peak, 10);
  EXPECT_GE(peak, 5);  // and the semaphore was actually used
}

TEST(Loadgen, LatencyIsAtLeastTheDelay) {
  ServerProcess server;
  const auto report =
      json_of(loadgen({"-n", "50", "-c", "10", "--json", "-", base(server) + "/50"}));
  EXPECT_GE(report["latency_us"]["min"].get<std::uint64_t>(), 50000u);
  EXPECT_EQ(report["server_timing"]["delay"]["summary_us"]["count"], 50);
  EXPECT_GE(report["server_timing"]["delay"]["summary_us"]["min"].get<std::uint64_t>(), 50000u);
}

std::vector<std::string> logged_targets(const ServerProcess& server) {
  std::vector<std::string> targets;
  const std::string log = server.stderr_text();
  const std::regex line(R"(GET (/\S+) 200)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it) {
    targets.push_back((*it)[1].str());
  }
  return targets;
}

TEST(Loadgen, TemplatesAreInRangeAndReproducibleWithASeed) {
  std::vector<std::string> first, second;
  for (auto* targets : {&first, &second}) {
    ServerProcess server({"--access-log"});
    json_of(loadgen({"-n", "30", "-c", "1", "--seed", "1234", "--no-scrape", "--json",
                     "-",  // no /metrics
                     base(server) + "/{rand:1:20}/"}));
    EXPECT_TRUE(eventually(
        [&] { return logged_targets(server).size() >= 30; }));  // the last access-log line
    *targets = logged_targets(server);
  }
  ASSERT_EQ(first.size(), 30u);
  EXPECT_EQ(first, second);
  for (const auto& target : first) {
    const int n = std::stoi(target.substr(1));
    EXPECT_GE(n, 1);
    EXPECT_LE(n, 20);
  }
}

TEST(Loadgen, ServerDownIsCountedAndExitsOne) {
  const auto result = loadgen({"-n", "20", "-c", "5", "--json", "-", "http://127.0.0.1:1/"});
  EXPECT_EQ(result.exit_code, 1);
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["errors"]["connect"], 20);
  EXPECT_EQ(report["requests"]["total"], 20);
}

TEST(Loadgen, ResetsAreCountedNotFatal) {
  FakeServer server(reset_at_once);
  const auto result = loadgen({"-n", "30", "-c", "3", "--json", "-",
                               "http://127.0.0.1:" + std::to_string(server.port()) + "/"});
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["requests"]["total"], 30);
  EXPECT_EQ(report["requests"]["errors"], 30);
  EXPECT_EQ(report["errors"]["reset"].get<int>() + report["errors"]["connect"].get<int>(), 30);
}

TEST(Loadgen, TimeoutsAreCounted) {
  ServerProcess server;
  const auto result =
      loadgen({"-n", "4", "-c", "4", "--timeout", "100ms", "--json", "-", base(server) + "/60000"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["errors"]["timeout"], 4);
  EXPECT_LT(report["duration_s"].get<double>(), 30.0);  // the timeout ended them, not the answer
}

// The timeout counts from each request's own send: the timer armed for the first request
// (lazily kept for the next) must not cut the second short, 2 s into its 3 s.
TEST(Loadgen, EachRequestGetsItsWholeTimeoutOnAReusedConnection) {
  ServerProcess server;
  const auto report = json_of(loadgen(
      {"-n", "2", "-c", "1", "--timeout", "3s", "--json", "-", "-q", base(server) + "/2000"}));
  EXPECT_EQ(report["requests"]["responses"], 2);
  EXPECT_EQ(report["errors"]["timeout"], 0);
  EXPECT_EQ(report["connections_opened"], 1);
}

TEST(Loadgen, ErrorStatusesAreResponsesWithTheirCode) {
  ServerProcess server;
  const auto report =
      json_of(loadgen({"-n", "10", "-c", "2", "--json", "-", base(server) + "/nope"}));
  EXPECT_EQ(report["status_codes"]["404"], 10);
}

TEST(Loadgen, NoKeepaliveOpensAConnectionPerRequest) {
  ServerProcess server;
  const auto report = json_of(
      loadgen({"-n", "40", "-c", "4", "--no-keepalive", "--json", "-", base(server) + "/0"}));
  EXPECT_EQ(report["requests"]["responses"], 40);
  EXPECT_EQ(report["connections_opened"], 40);
  const auto reuse = json_of(loadgen({"-n", "40", "-c", "4", "--json", "-", base(server) + "/0"}));
  EXPECT_EQ(reuse["connections_opened"], 4);
}

TEST(Loadgen, DurationRuns) {
  ServerProcess server;
  const auto report =
      json_of(loadgen({"-d", "1s", "-c", "4", "--json", "-", base(server) + "/10"}));
  EXPECT_GE(report["duration_s"].get<double>(), 1.0);
  EXPECT_LT(report["duration_s"].get<double>(), 60.0);  // a bound on termination, not a speed test
  EXPECT_GT(report["requests"]["responses"].get<int>(), 0);
}

TEST(Loadgen, MergeEqualsTheHistogramOfBoth) {
  ServerProcess server;
  const std::string a = temp_file("a.json"), b = temp_file("b.json"),
                    merged = temp_file("merged.json");
  ASSERT_EQ(loadgen({"-q", "-n", "100", "-c", "10", "--json", a, base(server) + "/{rand:1:20}"})
                .exit_code,
            0);
  ASSERT_EQ(loadgen({"-q", "-n", "150", "-c", "10", "--json", b, base(server) + "/{rand:20:40}"})
                .exit_code,
            0);
  const auto result = loadgen({"merge", "-o", merged, a, b});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("merged 2 reports"), std::string::npos);
  auto read = [](const std::string& path) { return nlohmann::json::parse(std::ifstream(path)); };
  const auto ja = read(a), jb = read(b), jm = read(merged);
  LatencyHistogram expected = LatencyHistogram::from_json(ja["latency_histogram"]);
  expected.merge(LatencyHistogram::from_json(jb["latency_histogram"]));
  EXPECT_EQ(jm["latency_histogram"], expected.to_json());
  EXPECT_EQ(jm["requests"]["total"], 250);
  EXPECT_EQ(jm["runs_merged"], 2);
  EXPECT_EQ(jm["server_timing"]["delay"]["summary_us"]["count"], 250);
  for (const auto& path : {a, b, merged}) std::remove(path.c_str());
  EXPECT_EQ(loadgen({"merge", "/nonexistent.json"}).exit_code, 2);
}

TEST(Loadgen, HgrmOutput) {
  ServerProcess server;
  const std::string path = temp_file("out.hgrm");
  ASSERT_EQ(loadgen({"-q", "-n", "50", "--hgrm", path, base(server) + "/2"}).exit_code, 0);
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  EXPECT_NE(header.find("Percentile"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Loadgen, TalkPreset) {
  ServerProcess server;
  const auto result = loadgen({"talk", "--no-capacity", "--unbounded", "5,10", "-n", "20", "-c",
                               "5", "--max-delay-ms", "20", "--json", "-", base(server)});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  ASSERT_EQ(report["runs"].size(), 3u);
  EXPECT_EQ(report["runs"][2]["config"]["concurrency"], 5);
  EXPECT_EQ(report["runs"][2]["requests"]["responses"], 20);
  EXPECT_NE(result.err.find("semaphore(5)"), std::string::npos);
}

TEST(Loadgen, Probe) {
  ServerProcess server;
  EXPECT_EQ(loadgen({"probe", base(server) + "/healthz"}).exit_code, 0);
  EXPECT_NE(loadgen({"probe", base(server) + "/nope"}).exit_code, 0);
  EXPECT_NE(loadgen({"probe", "http://127.0.0.1:1/healthz"}).exit_code, 0);
}

// A server that answers before it has read a large body leaves the request's write pending:
// the connection must not carry the next request (that reused the pending write: a crash).
TEST(Loadgen, AnAnswerBeforeTheBodyIsSentIsRecordedAndTheConnectionNotReused) {
  FakeServer server(answer_before_the_body);
  const std::string body = temp_file("large-body");
  {
    std::ofstream out(body, std::ios::binary);
    out << std::string(16 * 1024 * 1024, 'x');
  }
  const auto result = loadgen({"-m", "POST", "--body-file", body, "-n", "3", "-c", "1", "--timeout",
                               "20s", "--json", "-", "-q",
                               "http://127.0.0.1:" + std::to_string(server.port()) + "/upload"});
  std::remove(body.c_str());
  const auto report = json_of(result);
  EXPECT_EQ(report["status_codes"]["413"], 3);
  EXPECT_EQ(report["requests"]["errors"], 0);
  EXPECT_EQ(report["connections_opened"], 3);
}

// A request sent on a kept-alive connection that the server closes before answering (its idle
// timeout and the send crossed) is resent once on a new connection, as browsers and curl do,
// and counted; it was an error (1 in 4 runs of an open-loop test on a busy machine).
TEST(Loadgen, ARequestOnAConnectionTheServerJustClosedIsResentOnce) {
  FakeServer server(close_when_reused);
  // An open loop at 4/s: the connection sits idle 250 ms before each reuse, as it would when
  // a server's idle timeout closes it.
  const auto report = json_of(loadgen({"--rate", "4", "-n", "3", "-c", "1", "--json", "-", "-q",
                                       "http://127.0.0.1:" + std::to_string(server.port()) + "/"}));
  EXPECT_EQ(report["requests"]["responses"], 3);
  EXPECT_EQ(report["requests"]["errors"], 0);
  EXPECT_EQ(report.value("retried_stale", 0), 2);  // requests 2 and 3, each on a reused connection
  EXPECT_EQ(report["connections_opened"], 3);      // each resend on a new one
}

// Only a reused connection's first break is resent, and only for a method that may be resent
// (RFC 9110 §9.2.2): a POST, a fresh connection that breaks, or a second break, is an error.
TEST(Loadgen, OnlyAnIdempotentRequestIsResentAndOnlyOnce) {
  FakeServer post_server(close_when_reused);
  const auto post =
      json_of(loadgen({"-m", "POST", "--rate", "4", "-n", "3", "-c", "1", "--json", "-", "-q",
                       "http://127.0.0.1:" + std::to_string(post_server.port()) + "/"}));
  EXPECT_EQ(post["requests"]["responses"], 2);  // requests 1 and 3, each on a new connection
  EXPECT_EQ(post["errors"]["closed"], 1);
  EXPECT_EQ(post.value("retried_stale", -1), 0);

  // The first connection answers once; every later request is met with a close.
  std::atomic<int> connections{0};
  FakeServer answers_once([&connections](int client, const std::atomic<bool>& stop) {
    const bool first = connections.fetch_add(1) == 0;
    serve_heads(client, stop, [first](int request) { return first && request == 1; });
  });
  const auto get =
      json_of(loadgen({"--rate", "4", "-n", "2", "-c", "1", "--json", "-", "-q", "--no-scrape",
                       "http://127.0.0.1:" + std::to_string(answers_once.port()) + "/"}));
  EXPECT_EQ(get["requests"]["responses"], 1);
  EXPECT_EQ(get["errors"]["closed"], 1);  // the resend, on a fresh connection, also met a close
  EXPECT_EQ(get.value("retried_stale", 0), 1);
}

// A closed loop reuses a connection microseconds after its answer: a break then cannot be the
// idle-timeout race. A server that closes after every response shows as errors (it showed as
// 0 errors and 99 % resent requests).
TEST(Loadgen, AServerThatClosesAfterEveryResponseShowsErrorsNotResends) {
  FakeServer server(close_when_reused);
  const auto report = json_of(loadgen({"-n", "20", "-c", "1", "--json", "-", "-q",
                                       "http://127.0.0.1:" + std::to_string(server.port()) + "/"}));
  EXPECT_GE(report["errors"]["closed"].get<int>(),
            5);  // about 10 breaks: a preemption at reuse could make one a resend
  EXPECT_EQ(report["errors"]["closed"].get<int>() + report.value("retried_stale", 0) +
                report["requests"]["responses"].get<int>(),
            20 + report.value("retried_stale", 0));
}

TEST(Loadgen, UsageErrorsExitTwo) {
  EXPECT_EQ(loadgen({}).exit_code, 2);
  EXPECT_EQ(loadgen({"ftp://127.0.0.1/"}).exit_code, 2);
  EXPECT_EQ(loadgen({"-n", "0", "http://127.0.0.1:1/"}).exit_code, 2);
  EXPECT_EQ(loadgen({"-n", "5", "-d", "1s", "http://127.0.0.1:1/"}).exit_code, 2);
  EXPECT_EQ(loadgen({"--bogus", "http://127.0.0.1:1/"}).exit_code, 2);
  EXPECT_EQ(loadgen({"http://127.0.0.1:1/{rand:9:1}"}).exit_code, 2);
  EXPECT_EQ(loadgen({"--rate", "nan", "http://127.0.0.1:1/"}).exit_code, 2);
  EXPECT_EQ(loadgen({"--rate", "1e12", "http://127.0.0.1:1/"}).exit_code, 2);
  EXPECT_EQ(loadgen({"--interval", "1ms", "http://127.0.0.1:1/"}).exit_code, 2);
  EXPECT_EQ(loadgen({"-d", "100000h", "http://127.0.0.1:1/"}).exit_code, 2);
}

}  // namespace
}  // namespace loadlab::test
