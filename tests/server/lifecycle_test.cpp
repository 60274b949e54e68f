// Timeouts, disconnects, limits, load and shutdown of the real loadlab-server.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Requests in flight, not counting the /metrics request that asks.
double in_flight(std::uint16_t port) { return metric(port, "loadlab_http_requests_in_flight") - 1; }

bool in_flight_reaches(std::uint16_t port, double value) {
  return eventually([&] { return in_flight(port) == value; });
}

// True once new connections are refused: the server has taken a signal and closed its listeners.
bool refuses_connections(std::uint16_t port) {
  return eventually([&] { return !TcpClient(port).connected(); });
}

TEST(Lifecycle, SlowHeadersGet408AndClose) {
  ServerProcess server({"--header-timeout-ms", "300"});
  const auto start = Clock::now();  // before the connect: the server's clock starts at accept
  TcpClient client(server.port());
  client.send("GET /0 HTTP/1.1\r\nHost: slo");  // and never the rest
  const auto response = client.read_response(5s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  // Not cut off early; libuv's loop clock counts whole milliseconds (seen: 299.96 ms).
  EXPECT_GE(Clock::now() - start, 299ms);
  EXPECT_TRUE(client.wait_closed(60s));
  EXPECT_TRUE(
      eventually([&] { return metric(server.port(), "loadlab_header_timeouts_total") == 1; }));
}

TEST(Lifecycle, SilentNewConnectionIsCutOffToo) {
  ServerProcess server({"--header-timeout-ms", "200"});
  TcpClient client(server.port());
  const auto response = client.read_response(60s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(client.wait_closed(60s));
}

TEST(Lifecycle, IdleKeepAliveConnectionIsClosed) {
  ServerProcess server({"--keepalive-timeout-ms", "200"});
  TcpClient client(server.port());
  client.send(get_request("/0"));
  ASSERT_TRUE(client.read_response());
  EXPECT_TRUE(client.wait_closed(60s));
  EXPECT_TRUE(
      eventually([&] { return metric(server.port(), "loadlab_idle_timeouts_total") == 1; }));
}

TEST(Lifecycle, DisconnectDuringDelayFreesTheRequest) {
  ServerProcess server({"--threads", "1"});
  {
    TcpClient client(server.port());
    client.send(get_request("/10000") + get_request("/20000"));
    ASSERT_TRUE(in_flight_reaches(server.port(), 2));
  }  // the client leaves while both delays are pending
  EXPECT_TRUE(in_flight_reaches(server.port(), 0));
  // Only the /metrics request's own connection remains.
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "loadlab_open_connections") == 1; }));
  // And the server is perfectly healthy afterwards.
  const auto response = http_get(server.port(), "/1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(Lifecycle, ConnectionsBeyondTheLimitAreRefusedCleanly) {
  ServerProcess server({"--max-connections", "3", "--threads", "1"});
  std::vector<std::unique_ptr<TcpClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<TcpClient>(server.port()));
    held.back()->send(get_request("/0"));
    ASSERT_TRUE(held.back()->read_response()) << i;
  }
  TcpClient extra(server.port());
  extra.send(get_request("/0"));
  EXPECT_TRUE(extra.wait_closed(60s));
  held.pop_back();  // make room, then the server accepts again
  EXPECT_TRUE(
      eventually([&] { return metric(server.port(), "loadlab_connections_refused_total") >= 1; }));
}

TEST(Lifecycle, TwoThousandConcurrentDelaysAreAllAnswered) {
  constexpr int kClients = 2000;
  ServerProcess server({"--threads", "2"});
  std::vector<std::unique_ptr<TcpClient>> clients;
  clients.reserve(kClients);
  const auto start = Clock::now();
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TcpClient>(server.port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
    clients.back()->send(get_request("/200"));
  }
  int ok = 0;
  for (auto& client : clients) {
    const auto response = client->read_response(120s);
    if (response && response->status == 200) ++ok;
  }
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(ok, kClients);
  // Sequential service would take 400 s; concurrent service takes little more than 200 ms.
  // The bound only tells the two apart, so a loaded CI machine cannot fail it.
  EXPECT_LT(elapsed, 150s);
}

TEST(Lifecycle, SigtermDrainsInFlightRequestsAndExitsZero) {
  ServerProcess server({"--threads", "2"});
  TcpClient in_flight(server.port());
  const auto start =
      Clock::now();  // before the send: the delay cannot end sooner than 500 ms after
  in_flight.send(get_request("/500"));
  ASSERT_TRUE(in_flight_reaches(server.port(), 1));
  server.signal(SIGTERM);
  // New connections are refused once the listeners are closed...
  EXPECT_TRUE(refuses_connections(server.port()));
  // ... while the request in flight completes, announcing the close.
  const auto response = in_flight.read_response(60s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_GE(Clock::now() - start, 500ms);
  EXPECT_EQ(server.wait_exit(60s), 0);
}

TEST(Lifecycle, ReadyzTurns503WhileDraining) {
  // The delay outlasts what the test does before /readyz, so the connection is still open for it.
  ServerProcess server({"--threads", "1", "--drain-timeout-ms", "120000"});
  TcpClient client(server.port());
  client.send(get_request("/5000"));
  ASSERT_TRUE(in_flight_reaches(server.port(), 1));
  server.signal(SIGTERM);
  ASSERT_TRUE(refuses_connections(server.port()));  // draining
  client.send(get_request("/readyz"));  // on the connection kept open by the request in flight
  const auto delayed = client.read_response(60s);
  ASSERT_TRUE(delayed);
  EXPECT_EQ(delayed->status, 200);
  const auto ready = client.read_response(60s);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_FALSE(ready->header("retry-after").empty());
  EXPECT_EQ(ready->header("connection"), "close");
  EXPECT_EQ(server.wait_exit(60s), 0);
}

TEST(Lifecycle, DrainTimeoutBoundsShutdown) {
  ServerProcess server({"--drain-timeout-ms", "300"});
  TcpClient client(server.port());
  client.send(get_request("/60000"));  // far longer than any loaded machine adds to 300 ms
  ASSERT_TRUE(in_flight_reaches(server.port(), 1));
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(40s), 0);  // before the delay ends
  EXPECT_TRUE(client.wait_closed(60s));
}

TEST(Lifecycle, SecondSignalExitsAtOnce) {
  ServerProcess server;
  TcpClient client(server.port());
  client.send(get_request("/30000"));
  ASSERT_TRUE(in_flight_reaches(server.port(), 1));
  server.signal(SIGTERM);
  ASSERT_TRUE(refuses_connections(server.port()));  // the first signal was taken
  server.signal(SIGINT);
  const auto code = server.wait_exit(60s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
}

TEST(Lifecycle, IdleConnectionsDoNotDelayShutdown) {
  ServerProcess server({"--drain-timeout-ms", "600000"});
  TcpClient idle(server.port());
  idle.send(get_request("/0"));
  ASSERT_TRUE(idle.read_response());
  server.signal(SIGINT);
  // Well before the drain timeout it would otherwise wait for.
  EXPECT_EQ(server.wait_exit(60s), 0);
  EXPECT_TRUE(idle.wait_closed(60s));
}

TEST(Lifecycle, EnvironmentVariablesConfigureTheServer) {
  setenv("LOADLAB_MAX_DELAY_MS", "50", 1);
  ServerProcess server;
  unsetenv("LOADLAB_MAX_DELAY_MS");
  const auto response = http_get(server.port(), "/51");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
}

// SO_REUSEPORT would let a second server share a busy port and take half its connections
// without a word; it must refuse to start instead.
TEST(Lifecycle, APortInUseIsAnErrorNotAShare) {
  ServerProcess first;
  const auto second = run_command({LOADLAB_SERVER_BIN, "--host", "127.0.0.1", "--port",
                                   std::to_string(first.port()), "--workers", "1"},
                                  10s);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("in use"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find(std::to_string(first.port())), std::string::npos) << second.err;
  const auto response = http_get(first.port(), "/healthz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

// --busy-poll-us (common/busy_poll.h): the loops answer and drain the same whether they never
// spin (a plain uv_run) or spin up to the ceiling; beyond it is a usage error.
TEST(Lifecycle, BusyPollingServesAndDrainsAtEitherBound) {
  for (const char* limit : {"0", "1000"}) {
    ServerProcess server({"--threads", "2", "--busy-poll-us", limit});
    TcpClient client(server.port());
    for (int i = 0; i < 3; ++i) client.send(get_request("/" + std::to_string(i)));
    for (int i = 0; i < 3; ++i) {
      const auto response = client.read_response(60s);
      ASSERT_TRUE(response) << limit;
      EXPECT_EQ(response->status, 200) << limit;
    }
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(60s), 0) << limit;
  }
  const auto beyond = run_command({LOADLAB_SERVER_BIN, "--busy-poll-us", "1001"}, 10s);
  EXPECT_EQ(beyond.exit_code, 2) << beyond.err;
  EXPECT_NE(beyond.err.find("--busy-poll-us"), std::string::npos) << beyond.err;
}

TEST(Lifecycle, BadFlagsFailFastWithUsage) {
  const auto result = run_command({LOADLAB_SERVER_BIN, "--threads", "lots"}, 10s);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("threads"), std::string::npos);
  const auto version = run_command({LOADLAB_SERVER_BIN, "--version"}, 10s);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("loadlab-server"), std::string::npos);
}

}  // namespace
}  // namespace loadlab::test
