// What a run reports is what happened: its duration ends with its last response (or the -d
// deadline plus a bounded grace), the request mix follows the asked list whatever the
// response times, every connection at any -c is counted right, and every byte is counted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <thread>
#include <vector>

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
std::string base(const FakeServer& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

struct Timed {
  CommandResult result;
  double wall_s;  // from before the start to after the exit, as this test saw it
};

Timed loadgen(std::vector<std::string> args, std::chrono::milliseconds timeout = 60s,
              const std::function<void(pid_t)>& meanwhile = {}) {
  args.insert(args.begin(), LOADLAB_LOADGEN_BIN);
  const auto start = std::chrono::steady_clock::now();
  CommandResult result = run_command(args, timeout, meanwhile);
  return {std::move(result),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

nlohmann::json json_of(const Timed& run) {
  EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
  return nlohmann::json::parse(run.result.out);
}

// The run's end is its last response: with --interval 10ms, the duration falls in the last
// non-empty interval (or up to half an interval past it, where a trailing fragment was folded
// into it). Exact whatever the machine's load: both come from the same clock reading.
void expect_ends_with_last_response(const nlohmann::json& report) {
  const double step = report["interval_ms"].get<double>() / 1000.0;
  std::size_t last = 0;
  const auto& intervals = report["intervals"];
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    if (intervals[i]["responses"].get<int>() + intervals[i]["errors"].get<int>() > 0) last = i;
  }
  const double duration = report["duration_s"].get<double>();
  EXPECT_GE(duration, step * static_cast<double>(last));
  EXPECT_LT(duration, step * (static_cast<double>(last) + 1.5))
      << "the last response came in [" << step * last << ", " << step * (last + 1) << ") s";
  // Causality: every response came within the run.
  EXPECT_GE(duration * 1e6, report["latency_us"]["max"].get<double>());
}

TEST(RunTiming, AShortRunReportsItsOwnLengthNotAPollingPeriod) {
  ServerProcess server;
  for (int i = 0; i < 3; ++i) {
    const Timed run = loadgen(
        {"-q", "-n", "20", "-c", "5", "--interval", "10ms", "--json", "-", base(server) + "/0"});
    const auto report = json_of(run);
    EXPECT_EQ(report["requests"]["responses"], 20);
    expect_ends_with_last_response(report);
    EXPECT_LE(report["duration_s"].get<double>(), run.wall_s);
  }
}

// --busy-poll-us changes how the engines wait, not what they count: at either bound every
// response is in the report and in the server's own count, and the run still ends with its
// last response.
TEST(RunTiming, TheCountsAreTheSameWhetherTheEnginesSpinOrNot) {
  for (const char* limit : {"0", "1000"}) {
    ServerProcess server;
    const auto report =
        json_of(loadgen({"-q", "-n", "3000", "-c", "50", "-t", "2", "--no-scrape", "--interval",
                         "10ms", "--busy-poll-us", limit, "--json", "-", base(server) + "/0"}));
    EXPECT_EQ(report["requests"]["responses"], 3000) << limit;
    EXPECT_EQ(report["config"]["busy_poll_us"], std::stoi(limit));
    // The server counts a response once its write completes, which may be after the loadgen
    // has read it.
    const auto served = [&server] {
      return metric(server.port(), R"(loadlab_http_requests_total{route="delay",code="200"})");
    };
    eventually([&] { return served() == 3000; });
    EXPECT_EQ(served(), 3000) << limit;
    expect_ends_with_last_response(report);
  }
}

TEST(RunTiming, DurationIsTheSlowestResponseNotTheNextPoll) {
  ServerProcess server;
  const Timed run = loadgen(
      {"-q", "-n", "100", "-c", "100", "--interval", "10ms", "--json", "-", base(server) + "/500"});
  const auto report = json_of(run);
  EXPECT_EQ(report["requests"]["responses"], 100);
  expect_ends_with_last_response(report);
  const double duration = report["duration_s"].get<double>();
  EXPECT_GE(duration, 0.5);
  EXPECT_LE(duration, run.wall_s);
  // The slowest response plus the slowest connect bound the run from below, give or take the
  // spread of the starts; the old polling added up to 100 ms on top.
  const double floor = (report["latency_us"]["max"].get<double>()) / 1e6;
  EXPECT_GE(duration, floor);
}

// Accepts every connection and never answers.
class SilentServer {
 public:
  SilentServer()
      : server_(std::in_place, [this](int client, const std::atomic<bool>&) {
          std::lock_guard lock(mutex_);
          clients_.push_back(client);
        }) {}
  ~SilentServer() {
    server_.reset();  // its thread stops before the list is read
    for (int fd : clients_) close(fd);
  }
  const FakeServer& server() const { return *server_; }
  std::size_t accepted() {
    std::lock_guard lock(mutex_);
    return clients_.size();
  }
  // Connections whose request has arrived (and lies unread).
  std::size_t requests_arrived() {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(clients_.begin(), clients_.end(), [](int fd) {
      int pending = 0;
      return ioctl(fd, FIONREAD, &pending) == 0 && pending > 0;
    }));
  }

 private:
  std::mutex mutex_;
  std::vector<int> clients_;
  std::optional<FakeServer> server_;
};

void expect_deadline_and_grace(const std::vector<std::string>& extra) {
  SilentServer silent;
  std::vector<std::string> args = {"-q", "-d", "2s", "-c", "3", "--json", "-"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(base(silent.server()) + "/");
  // The request timeout (30 s by default) must not stretch the run: 20 s is far beyond
  // 2 s + 1 s of grace on any machine, and far below what waiting for the timeout would take.
  const Timed run = loadgen(args, 20s);
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const auto report = nlohmann::json::parse(run.result.out);
  const double duration = report["duration_s"].get<double>();
  // Nothing was answered: the run ends at the deadline. The grace (1 s) is the loadgen waiting,
  // and the cancel at its end is the loadgen's act, not an event of the run.
  EXPECT_GE(duration, 2.0);
  EXPECT_LT(duration, 3.0);
  EXPECT_LE(duration, run.wall_s);
  EXPECT_EQ(report["requests"]["responses"], 0);
  EXPECT_GE(report["requests"]["cancelled"].get<int>(), 1);
  EXPECT_EQ(report["errors"]["timeout"], 0);
  EXPECT_EQ(report["requests"]["errors"], 0);  // cancelled requests are not the server's errors
  EXPECT_EQ(report["requests"]["total"], 0);
  EXPECT_EQ(report["throughput_rps"], 0);
}

TEST(RunTiming, DeadlineCancelsRequestsInFlightAfterTheGrace) { expect_deadline_and_grace({}); }
TEST(RunTiming, DeadlineCancelsRequestsInFlightAfterTheGraceInAnOpenLoop) {
  expect_deadline_and_grace({"--rate", "50"});
}

TEST(RunTiming, CancelledRequestsAreNeitherErrorsNorRequestsNorTheEnd) {
  ServerProcess server;
  // Request 0 of the mix is /0, request 1 /10000, and so on: both connections end up holding a
  // /10000 each (whatever the timing), and the deadline cancels them after the grace.
  const std::string urls = testing::TempDir() + "/cancelled_urls.txt";
  std::ofstream(urls) << base(server) << "/0\n" << base(server) << "/10000\n";
  const Timed run = loadgen({"-q", "-d", "1s", "-c", "2", "--grace", "500ms", "--urls-file", urls,
                             "--slo", "errors<1%", "--json", "-"});
  ASSERT_EQ(run.result.exit_code, 0) << "the cancels breached the error SLO?\n"
                                     << run.result.err << run.result.out;
  const auto report = nlohmann::json::parse(run.result.out);
  EXPECT_GE(report["requests"]["cancelled"].get<int>(), 1);
  EXPECT_GE(report["requests"]["responses"].get<int>(), 1);
  EXPECT_EQ(report["requests"]["errors"], 0);
  EXPECT_EQ(report["requests"]["total"], report["requests"]["responses"]);
  // The last response came long before the deadline: the run is the -d, not -d + grace.
  const double duration = report["duration_s"].get<double>();
  EXPECT_GE(duration, 1.0);
  EXPECT_LT(duration, 1.5);
  EXPECT_NEAR(report["throughput_rps"].get<double>(),
              report["requests"]["responses"].get<double>() / duration, 1e-6);
  std::uint64_t cancelled = 0;
  for (const auto& row : report["by_url"])
    cancelled += row["requests"]["cancelled"].get<std::uint64_t>();
  EXPECT_EQ(cancelled, report["requests"]["cancelled"].get<std::uint64_t>());
}

// Linux reports a process that has exited (and is not reaped yet) as a zombie.
bool has_exited(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z';
}

TEST(RunTiming, ASecondCtrlCCancelsAtOnceAndStillReports) {
  SilentServer silent;
  // A 10 min grace nobody wants to wait out: the second signal cuts it short.
  const Timed run = loadgen(
      {"-q", "-d", "1h", "-c", "2", "--grace", "10m", "--json", "-", base(silent.server()) + "/"},
      60s, [&silent](pid_t pid) {
        // The connects come after the signals are blocked: from now on a signal is a stop, not
        // the default action. Wait for both requests, not just both connections: the kernel
        // accepts a connection before the loadgen has written on it, and a stop before that
        // write leaves nothing there to cancel.
        ASSERT_TRUE(eventually([&] { return silent.requests_arrived() >= 2; }, 30s));
        // Signals sent close together may merge into one: send until it exits.
        for (int i = 0; i < 150 && !has_exited(pid); ++i) {
          ::kill(pid, SIGINT);
          std::this_thread::sleep_for(200ms);
        }
      });
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const auto report = nlohmann::json::parse(run.result.out);
  EXPECT_EQ(report["requests"]["cancelled"], 2);
  EXPECT_LT(run.wall_s, 50.0);
}

TEST(RunTiming, GraceLetsRequestsInFlightFinish) {
  ServerProcess server;
  // Requests still running at the 500 ms deadline need at most 300 ms more: under the grace.
  const auto report = json_of(loadgen(
      {"-q", "-d", "500ms", "-c", "4", "--grace", "5s", "--json", "-", base(server) + "/300"}));
  EXPECT_EQ(report["requests"]["cancelled"], 0);
  EXPECT_GE(report["requests"]["responses"].get<int>(), 4);
  EXPECT_GE(report["duration_s"].get<double>(), 0.5);
}

// --- the request mix ---

std::uint64_t url_count(const nlohmann::json& report, const std::string& suffix) {
  for (const auto& entry : report["by_url"]) {
    const std::string url = entry["url"];
    if (url.ends_with(suffix)) return entry["requests"]["total"];
  }
  return 0;
}

void expect_even_mix(const std::vector<std::string>& mode) {
  ServerProcess server;
  std::vector<std::string> args = {"-q", "-n", "1000", "-c", "20", "--json", "-"};
  args.insert(args.end(), mode.begin(), mode.end());
  args.push_back(base(server) + "/40");
  args.push_back(base(server) + "/prime/97");
  const auto report = json_of(loadgen(args));
  // What the server saw, by route: the outside view of the mix.
  // A response is counted once its write completed on its loop: await the last one.
  double slow = 0;
  double fast = 0;
  EXPECT_TRUE(eventually([&] {
    slow = metric(server.port(), R"(loadlab_http_requests_total{route="delay",code="200"})");
    fast = metric(server.port(), R"(loadlab_http_requests_total{route="prime",code="200"})");
    return slow + fast >= 1000;
  }));
  EXPECT_EQ(slow + fast, 1000);
  EXPECT_NEAR(slow, fast, 10) << "a 40 ms URL and a fast one: " << slow << " vs " << fast;
  // And what the report says, per URL.
  EXPECT_EQ(url_count(report, "/40"), static_cast<std::uint64_t>(slow));
  EXPECT_EQ(url_count(report, "/prime/97"), static_cast<std::uint64_t>(fast));
}

TEST(RequestMix, ClosedLoopTakesTheUrlsInTurnWhateverTheirLatency) { expect_even_mix({}); }
TEST(RequestMix, OpenLoopTakesTheUrlsInTurnWhateverTheirLatency) {
  expect_even_mix({"--rate", "400"});
}

TEST(RequestMix, WeightsInTheUrlsFileSetTheProportion) {
  ServerProcess server;
  const std::string file = "/tmp/loadlab-test-" + std::to_string(getpid()) + "-urls";
  {
    std::ofstream out(file);
    out << "# slow and rare\n1 " << base(server) << "/40\n3 " << base(server) << "/prime/97\n";
  }
  const auto report =
      json_of(loadgen({"-q", "-n", "1000", "-c", "20", "--urls-file", file, "--json", "-"}));
  std::remove(file.c_str());
  double slow = 0;
  EXPECT_TRUE(eventually([&] {
    slow = metric(server.port(), R"(loadlab_http_requests_total{route="delay",code="200"})");
    return slow +
               metric(server.port(), R"(loadlab_http_requests_total{route="prime",code="200"})") >=
           1000;
  }));
  EXPECT_NEAR(slow / 1000.0, 0.25, 0.02 * 0.25);
  EXPECT_EQ(url_count(report, "/40"), static_cast<std::uint64_t>(slow));
  EXPECT_EQ(url_count(report, "/prime/97"), 1000 - static_cast<std::uint64_t>(slow));
  EXPECT_EQ(report["by_url"][0]["status_codes"]["200"], slow);
  EXPECT_GE(report["by_url"][0]["latency_us"]["p50"].get<double>(), 40000);
}

TEST(RequestMix, MergeKeepsTheBreakdown) {
  ServerProcess server;
  const std::string a = "/tmp/loadlab-test-" + std::to_string(getpid()) + "-mix-a.json";
  const std::string b = "/tmp/loadlab-test-" + std::to_string(getpid()) + "-mix-b.json";
  for (const auto& path : {a, b}) {
    ASSERT_EQ(loadgen({"-q", "-n", "40", "-c", "4", "--json", path, base(server) + "/1",
                       base(server) + "/2"})
                  .result.exit_code,
              0);
  }
  const Timed merged = loadgen({"merge", "-o", "-", a, b});
  std::remove(a.c_str());
  std::remove(b.c_str());
  const auto report = json_of(merged);
  ASSERT_EQ(report["by_url"].size(), 2u);
  EXPECT_EQ(url_count(report, "/1"), 40u);
  EXPECT_EQ(url_count(report, "/2"), 40u);
  EXPECT_EQ(report["by_url"][0]["latency_histogram"]["count"], 40);
  EXPECT_NE(merged.result.err.find("By URL"),
            std::string::npos);  // the summary goes to stderr with -o -
}

TEST(RequestMix, UrlsOnDifferentHostsAreAUsageError) {
  const Timed run = loadgen({"-n", "1", "http://127.0.0.1:1/a", "http://127.0.0.1:2/b"});
  EXPECT_EQ(run.result.exit_code, 2);
  EXPECT_NE(run.result.err.find("one host:port"), std::string::npos) << run.result.err;
}

// --- connections ---

// /300: on a quiet machine every request is still in flight when the last connection opens,
// so all 5000 connect; the test asks only what holds at any speed.
TEST(Connections, ThousandsOfConnectionsAllConnectAndTheirTimeIsReported) {
  ServerProcess server;
  const auto report =
      json_of(loadgen({"-q", "-n", "5000", "-c", "5000", "--json", "-", base(server) + "/300"}));
  EXPECT_EQ(report["errors"]["connect"], 0);
  EXPECT_EQ(report["requests"]["responses"], 5000);
  // Every connection opened reports its connect time. Not always 5000 of them: on a busy
  // machine the first connections can finish their 300 ms request, and take another, before
  // the last of the paced connects has started (4 096 and 4 872 were seen).
  EXPECT_EQ(report["connect_us"]["count"], report["connections_opened"]);
  EXPECT_GE(report["connections_opened"].get<int>(), 128);
  EXPECT_LE(report["connect_us"]["max"].get<double>(), report["duration_s"].get<double>() * 1e6);
}

TEST(Connections, MoreConnectionsThanTheOpenFileLimitIsAUsageErrorBeforeTheRun) {
  // prlimit sets both limits, so the loadgen cannot raise its own.
  const CommandResult result = run_command({"prlimit", "--nofile=256:256", LOADLAB_LOADGEN_BIN,
                                            "-n", "1000", "-c", "1000", "http://127.0.0.1:1/"},
                                           30s);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("-c 1000"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("open-file limit is 256"), std::string::npos) << result.err;
}

// --- bytes_read ---

// A 1 MB body, with Content-Length or (close_delimited) without, the body ending at EOF.
std::string big_response(bool close_delimited) {
  const std::string body(1 << 20, 'x');
  std::string response = "HTTP/1.1 200 OK\r\nConnection: close\r\n";
  if (!close_delimited) response += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return response + "\r\n" + body;
}

// Answers the request on each connection with big_response(), whole, then closes.
class BigBodyServer {
 public:
  explicit BigBodyServer(bool close_delimited)
      : server_([close_delimited](int client, const std::atomic<bool>&) {
          read_request_head(client);  // the answer does not depend on it
          const std::string response = big_response(close_delimited);
          std::size_t offset = 0;
          while (offset < response.size()) {
            const ssize_t n = write(client, response.data() + offset, response.size() - offset);
            if (n <= 0) break;
            offset += static_cast<std::size_t>(n);
          }
          shutdown(client, SHUT_WR);
          char buffer[4096];
          while (read(client, buffer, sizeof buffer) > 0) {
          }
          close(client);
        }) {}
  const FakeServer& server() const { return server_; }

 private:
  FakeServer server_;
};

void expect_every_byte_counted(bool close_delimited) {
  BigBodyServer big(close_delimited);
  const auto report =
      json_of(loadgen({"-q", "-n", "5", "-c", "1", "--json", "-", base(big.server()) + "/"}));
  EXPECT_EQ(report["requests"]["responses"], 5);
  // Every response was read whole (it completed), so the server sent exactly this much.
  EXPECT_EQ(report["bytes_read"].get<std::uint64_t>(), 5 * big_response(close_delimited).size());
}

TEST(BytesRead, CountsEveryByteOfLargeBodies) { expect_every_byte_counted(false); }
TEST(BytesRead, CountsBodiesThatEndAtEof) { expect_every_byte_counted(true); }

// A long --urls-file: the breakdown keeps its first 100 distinct URLs in rows of their own and
// adds the rest up in one "(other)" row (20 000 rows took a histogram each, per thread).
TEST(RequestMix, ALongUrlsFileIsFoldedIntoAtMost101Rows) {
  ServerProcess server;
  const std::string urls = testing::TempDir() + "/many_urls.txt";
  {
    std::ofstream out(urls);
    for (int i = 0; i < 20000; ++i)
      out << base(server) << (i % 2 ? "/prime/" + std::to_string(i) : "/0") << "\n";
  }
  const Timed run = loadgen(
      {"-q", "-n", "20000", "-c", "20", "-t", "2", "--urls-file", urls, "--json", "-"}, 120s);
  const auto report = json_of(run);
  ASSERT_EQ(report["requests"]["total"], 20000);
  const auto& rows = report["by_url"];
  EXPECT_LE(rows.size(), 101u);
  std::uint64_t sum = 0;
  for (const auto& row : rows) sum += row["requests"]["total"].get<std::uint64_t>();
  EXPECT_EQ(sum, 20000u);
  EXPECT_EQ(url_count(report, "/0"), 10000u);  // one URL on many lines is one row
  EXPECT_EQ(rows.back()["url"], "(other)");
  ASSERT_EQ(report["notes"].size(), 1u);
  EXPECT_NE(report["notes"][0].get<std::string>().find("(other)"), std::string::npos);
}

}  // namespace
}  // namespace loadlab::test
