// Hostile and broken clients must cost the server nothing but their own connection.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

bool healthy(std::uint16_t port) {
  const auto response = http_get(port, "/1", 60s);
  return response && response->status == 200;
}

long resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(Robustness, RandomBytesFromManyClients) {
  ServerProcess server({"--header-timeout-ms", "1000"});
  std::mt19937 random(20261124);
  std::vector<std::unique_ptr<TcpClient>> clients;
  const std::vector<std::string> prefixes = {
      "",
      "GET ",
      "GET /",
      "GET /1 HTTP/1.1\r\n",
      "GET /1 HTTP/1.1\r\nHost: x\r\n",
      "POST /1 HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
      "GET /1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"};
  for (int i = 0; i < 200; ++i) {
    auto client = std::make_unique<TcpClient>(server.port());
    ASSERT_TRUE(client->connected());
    std::string bytes = prefixes[static_cast<std::size_t>(i) % prefixes.size()];
    const std::size_t noise = std::uniform_int_distribution<std::size_t>(1, 4096)(random);
    for (std::size_t j = 0; j < noise; ++j) bytes.push_back(static_cast<char>(random()));
    client->send(bytes);
    clients.push_back(std::move(client));
  }
  EXPECT_TRUE(healthy(server.port()));
  // Every hostile connection is answered with an error or closed; none is left hanging past
  // the header timeout.
  for (auto& client : clients) {
    const auto response = client->read_response(60s);
    if (response) {
      EXPECT_GE(response->status, 200);
    }
    EXPECT_TRUE(client->wait_closed(60s));
  }
  EXPECT_TRUE(healthy(server.port()));
}

TEST(Robustness, ClientThatNeverReadsIsThrottledNotBuffered) {
  ServerProcess server({"--threads", "1", "--max-pipeline", "16"});
  TcpClient greedy(server.port());
  // ~2 MB of pipelined requests, and never a read: the server must stop reading from this
  // client once its responses back up, and keep serving everyone else meanwhile.
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += get_request("/0");
  std::thread sender([&] {
    for (int i = 0; i < 40; ++i) greedy.send(burst);
  });
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(healthy(server.port())) << i;
  EXPECT_LT(resident_kib(server.pid()), 100 * 1024);
  greedy.shutdown();  // unblocks the sender
  sender.join();
  EXPECT_TRUE(healthy(server.port()));
}

// Paused reading bounds what such a client costs; this bounds how long: its responses wait at
// most the keep-alive timeout for a reader, then the connection and its buffers are freed.
TEST(Robustness, AClientThatReadsNothingIsClosedAfterTheKeepaliveTimeout) {
  ServerProcess server({"--threads", "1", "--keepalive-timeout-ms", "300", "--max-pipeline", "16"});
  const int fd = connect_non_reading(server.port());
  ASSERT_GE(fd, 0);
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += get_request("/metrics");
  std::size_t sent = 0;
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (sent < burst.size() && std::chrono::steady_clock::now() < until) {
    const ssize_t n = ::send(fd, burst.data() + sent, burst.size() - sent, MSG_NOSIGNAL);
    if (n > 0)
      sent += static_cast<std::size_t>(n);
    else
      std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "loadlab_idle_timeouts_total") >= 1; }))
      << "a client reading nothing still holds its connection";
  EXPECT_TRUE(eventually([&] {
    return metric(server.port(), "loadlab_open_connections") == 1;
  }));  // the /metrics request's own
  ::close(fd);
}

TEST(Robustness, ConnectAndCloseChurn) {
  ServerProcess server;
  for (int i = 0; i < 2000; ++i) {
    TcpClient client(server.port());
    ASSERT_TRUE(client.connected()) << i;
    if (i % 3 == 0) client.send("GET /5 HTTP/1.1\r\n");  // half a request, then gone
    if (i % 3 == 1) client.send(get_request("/5"));      // a whole one, then gone
  }
  EXPECT_TRUE(healthy(server.port()));
}

}  // namespace
}  // namespace loadlab::test
