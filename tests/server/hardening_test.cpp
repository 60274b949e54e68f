// Clients and conditions that try to make the server spend what it should not: time (blank
// lines that never become a request), memory (responses nobody reads), CPU and log volume
// (no file descriptors left), and flags that ask for more than a machine has.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/processes.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// utime + stime of a process (all its threads), in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));  // the name may hold spaces
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stol(field);
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::size_t open_fds(pid_t pid) {
  std::size_t count = 0;
  if (DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
    closedir(dir);
  }
  return count;
}

std::size_t count_lines(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    count += line.find(needle) != std::string::npos;
  return count;
}

// Issue 16 (1): a client that sends "\r\n" now and then starts no request, and each read used
// to replace the header deadline with the idle one, so it held its connection for ever.
TEST(Hardening, EmptyLinesDoNotHoldAConnectionOpen) {
  ServerProcess server(
      {"--threads", "1", "--header-timeout-ms", "500", "--keepalive-timeout-ms", "60000"});
  TcpClient fresh(server.port());   // blank lines from the start
  TcpClient reused(server.port());  // blank lines after a request was answered
  ASSERT_TRUE(fresh.connected() && reused.connected());
  reused.send(get_request("/0"));
  const auto answered = reused.read_response(10s);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 200);

  bool fresh_closed = false;
  bool reused_closed = false;
  const auto deadline = Clock::now() + 20s;  // 40 header timeouts: generous for a busy machine
  while ((!fresh_closed || !reused_closed) && Clock::now() < deadline) {
    if (!fresh_closed) fresh.send("\r\n");
    if (!reused_closed) reused.send("\r\n");
    if (!fresh_closed) fresh_closed = fresh.wait_closed(100ms);
    if (!reused_closed) reused_closed = reused.wait_closed(100ms);
  }
  EXPECT_TRUE(fresh_closed)
      << "empty lines from a new connection kept it open past --header-timeout-ms";
  EXPECT_TRUE(reused_closed)
      << "empty lines after a response kept the connection open past --header-timeout-ms";
  EXPECT_GE(metric(server.port(), "loadlab_header_timeouts_total"), 2);
}

// One empty line before a request is allowed (RFC 9112 §2.2) and costs nothing.
TEST(Hardening, AnEmptyLineBeforeARequestIsIgnored) {
  ServerProcess server({"--threads", "1"});
  TcpClient client(server.port());
  client.send("\r\n" + get_request("/0"));
  const auto response = client.read_response(10s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

// Issue 16 (2): --max-pipeline counts responses, not bytes: 64 pipelined /metrics a connection
// (several KB each) that nobody reads cost the server ~1 MB per connection. Reading now also
// pauses once a connection's queued responses reach --max-queued-response-bytes.
TEST(Hardening, ResponsesNobodyReadsAreBoundedInBytes) {
  constexpr double kBudget = 65536;
  ServerProcess server(
      {"--threads", "1", "--max-pipeline", "4096", "--max-queued-response-bytes", "65536"});
  const int fd = connect_non_reading(server.port());
  ASSERT_GE(fd, 0);
  std::string burst;
  for (int i = 0; i < 3000; ++i) burst += get_request("/metrics");
  std::size_t sent = 0;
  const auto until = Clock::now() + 2s;
  while (sent < burst.size() && Clock::now() < until) {
    const ssize_t n = ::send(fd, burst.data() + sent, burst.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else {
      std::this_thread::sleep_for(10ms);
    }
  }
  // The server fills the kernel's buffers, then queues responses up to the budget and stops
  // reading this client.
  double queued = -1;
  EXPECT_TRUE(eventually(
      [&] { return (queued = metric(server.port(), "loadlab_queued_response_bytes")) >= kBudget; },
      20s))
      << "queued response bytes: " << queued << " (sent " << sent << " bytes of requests)";
  // Stays there while the client reads nothing: a budget plus at most one response (~10 KB).
  double in_flight = 0;
  for (int i = 0; i < 10; ++i) {
    queued = metric(server.port(), "loadlab_queued_response_bytes");
    in_flight = std::max(in_flight, metric(server.port(), "loadlab_http_requests_in_flight"));
    EXPECT_LE(queued, kBudget + 32768);
    EXPECT_TRUE(http_get(server.port(), "/0", 5s)) << "another client was not served";
    std::this_thread::sleep_for(50ms);
  }
  // Each /metrics answer is several KB: at most ~65536 / 2048 of them are waiting, not thousands.
  EXPECT_LE(in_flight, 40);
  ::close(fd);
  EXPECT_TRUE(
      eventually([&] { return metric(server.port(), "loadlab_queued_response_bytes") == 0; }, 10s));
}

// Issue 16 (3): with the fd limit below --max-connections, libuv's EMFILE handling spun (100 %
// CPU, a warning per turn: millions of lines), dropped connections without counting them,
// and a loop stuck in it never closed the connections its clients had left.
TEST(Hardening, OutOfDescriptorsNeitherSpinsNorFloodsTheLogAndRecovers) {
  ServerProcess server({"--threads", "2", "--workers", "1", "--max-connections", "5000",
                        "--header-timeout-ms", "120000"});
  const rlimit low{256, 256};
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_NOFILE, &low, nullptr), 0);
  const auto exhausted_at = Clock::now();
  std::vector<std::unique_ptr<TcpClient>> clients;
  for (int i = 0; i < 600; ++i) {
    clients.push_back(std::make_unique<TcpClient>(server.port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  ASSERT_TRUE(eventually([&] { return open_fds(server.pid()) >= 250; }, 20s))
      << open_fds(server.pid());
  // More clients come and go at once while nothing is free, from two threads: each loop must
  // shed them, and the loops race for the descriptors they free for a moment.
  std::vector<std::thread> churn;
  for (int t = 0; t < 2; ++t) {
    churn.emplace_back([&] {
      for (int i = 0; i < 300; ++i) TcpClient(server.port()).close();
    });
  }
  for (auto& thread : churn) thread.join();

  // While exhausted: no busy loop. An idle server uses nearly nothing; a spinning one a whole
  // core (or all it can get on a busy machine: still far above this).
  const double cpu_before = cpu_seconds(server.pid());
  const auto window_start = Clock::now();
  std::this_thread::sleep_for(2s);
  const double cpu = cpu_seconds(server.pid()) - cpu_before;
  const double wall = std::chrono::duration<double>(Clock::now() - window_start).count();
  EXPECT_LT(cpu, 0.3 * wall) << "the server used " << cpu << " s of CPU in " << wall
                             << " s while out of descriptors";

  // At most a line a second per loop, plus one per loop to start with.
  const double elapsed = std::chrono::duration<double>(Clock::now() - exhausted_at).count();
  const std::size_t lines = count_lines(server.stderr_text(), "accept failed");
  EXPECT_LE(static_cast<double>(lines), 2 * (elapsed + 2)) << "log lines in " << elapsed << " s";

  // The clients leave: every loop answers again (probes on new connections land on both
  // loops; 24 of them all on one would be a 1 in 8 million chance).
  const auto left_at = Clock::now();
  clients.clear();
  int answered = 0;
  EXPECT_TRUE(eventually(
      [&] {
        const auto response = http_get(server.port(), "/healthz", 2s);
        if (response && response->status == 200) ++answered;
        return answered >= 24;
      },
      30s))
      << answered << " probes answered";
  std::printf("probes answered %.0f ms after the clients left\n",
              std::chrono::duration<double, std::milli>(Clock::now() - left_at).count());
  EXPECT_GT(metric(server.port(), "loadlab_connections_refused_total"), 0)
      << "the dropped connections were not counted";
}

// Issue 16 (4): the restart counter counted every failed attempt to start a replacement.
TEST(Hardening, WorkerRestartsCountReplacementsNotAttempts) {
  const std::string copy = "/tmp/loadlab-test-" + std::to_string(getpid()) + "-restarts-server";
  ASSERT_EQ(run_command({"cp", LOADLAB_SERVER_BIN, copy}, 10s).exit_code, 0);
  ServerProcess server({"--workers", "2"}, copy);
  ASSERT_TRUE(eventually([&] { return children_of(server.pid(), false).size() == 2; }, 10s));
  std::remove(copy.c_str());  // replacements cannot start now
  for (int worker : children_of(server.pid(), false)) kill(worker, SIGKILL);
  ASSERT_TRUE(eventually(
      [&] { return count_lines(server.stderr_text(), "cannot start a /prime worker") >= 4; }, 20s));
  EXPECT_EQ(metric(server.port(), "loadlab_prime_worker_restarts_total"), 0);
  EXPECT_GE(metric(server.port(), "loadlab_prime_worker_spawn_failures_total"), 4);
  ASSERT_EQ(run_command({"cp", LOADLAB_SERVER_BIN, copy}, 10s).exit_code, 0);  // they can again
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers") == 2; }, 20s));
  EXPECT_EQ(metric(server.port(), "loadlab_prime_worker_restarts_total"), 2);
  std::remove(copy.c_str());
}

// Issue 16 (4): --workers 5000 took all of a machine's memory; counts have bounds now, and a
// value past one is a usage error (exit 2) that names the flag and the bound.
TEST(Hardening, CountsAndSizesHaveBounds) {
  const struct {
    std::vector<std::string> args;
    std::string flag;
    std::string bound;
  } cases[] = {
      {{"--workers", "5000"}, "--workers", "256"},
      {{"--threads", "1000"}, "--threads", "256"},
      {{"--max-queue", "100000000"}, "--max-queue", "1000000"},
      {{"--max-queued-response-bytes", "10"}, "--max-queued-response-bytes", "4096"},
      {{"--max-connections", "100000000000"}, "--max-connections", "10000000"},
      {{"--max-response-bytes", "2000000000"}, "--max-response-bytes", "1073741824"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {LOADLAB_SERVER_BIN, "--host", "127.0.0.1", "--port", "0"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const CommandResult result = run_command(argv, 20s);
    EXPECT_EQ(result.exit_code, 2) << c.flag << ": " << result.err;
    EXPECT_NE(result.err.find(c.flag), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(c.bound), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace loadlab::test
