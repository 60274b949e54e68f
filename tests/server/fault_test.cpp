// /fault/* over loopback: each fault as a client meets it at the socket (ECONNRESET, EOF
// without a byte, a body cut short, silence, bytes that are not HTTP, a head that trickles),
// that each is counted, and that it ends only its own connection.
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <string>

#include "tests/server/wire.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

std::string request(const std::string& target, const std::string& method = "GET") {
  return method + " " + target + " HTTP/1.1\r\nHost: test\r\n\r\n";
}

Wire fetch(std::uint16_t port, const std::string& bytes) {
  TcpClient client(port);
  EXPECT_TRUE(client.connected());
  client.send(bytes);
  return read_until_closed(client.fd(), 60s);
}

double faults(std::uint16_t port, const std::string& kind) {
  return metric(port, "loadlab_faults_total{kind=\"" + kind + "\"}");
}

bool healthy(std::uint16_t port) {
  const auto response = http_get(port, "/0", 60s);
  return response && response->status == 200;
}

TEST(Fault, ResetGivesEconnreset) {
  ServerProcess server({"--threads", "1"});
  for (const std::string target : {"/fault/reset", "/fault/reset?after=100"}) {
    const Wire wire = fetch(server.port(), request(target));
    EXPECT_TRUE(wire.closed) << target;
    EXPECT_EQ(wire.error, ECONNRESET) << target << ": " << wire.bytes;
    EXPECT_EQ(wire.bytes, "") << target;
  }
  EXPECT_EQ(faults(server.port(), "reset"), 2);
  EXPECT_TRUE(healthy(server.port()));
}

TEST(Fault, CloseGivesEofWithoutAByte) {
  ServerProcess server({"--threads", "1"});
  for (const std::string target : {"/fault/close", "/fault/close?after=100"}) {
    const Wire wire = fetch(server.port(), request(target));
    EXPECT_TRUE(wire.closed) << target;
    EXPECT_EQ(wire.error, 0) << target;
    EXPECT_EQ(wire.bytes, "") << target;
  }
  EXPECT_EQ(faults(server.port(), "close"), 2);
}

TEST(Fault, TruncateSendsHalfThePromisedBody) {
  ServerProcess server({"--threads", "1"});
  const struct {
    std::string target;
    std::size_t promised;
  } cases[] = {{"/fault/truncate", 1000},
               {"/fault/truncate?bytes=300001&after=50", 300001},
               {"/fault/truncate?bytes=0", 0}};
  for (const auto& c : cases) {
    const Wire wire = fetch(server.port(), request(c.target));
    const auto head = parse_head(wire.bytes);
    ASSERT_TRUE(head) << c.target;
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("content-length"), std::to_string(c.promised));
    EXPECT_EQ(wire.bytes.size() - head->size, c.promised / 2) << c.target;
    EXPECT_TRUE(wire.closed);
    EXPECT_EQ(wire.error, 0);
  }
  // HEAD: the promise, no body, and the close.
  const Wire head_only = fetch(server.port(), request("/fault/truncate", "HEAD"));
  const auto head = parse_head(head_only.bytes);
  ASSERT_TRUE(head);
  EXPECT_EQ(head_only.bytes.size(), head->size);
  EXPECT_TRUE(head_only.closed);
  EXPECT_EQ(faults(server.port(), "truncate"), 4);
}

TEST(Fault, HangStaysOpenUntilTheClientLeavesAndIsThenFreed) {
  ServerProcess server({"--threads", "1"});
  {
    TcpClient client(server.port());
    client.send(request("/fault/hang"));
    ASSERT_TRUE(eventually([&] { return faults(server.port(), "hang") == 1; }));
    // Nothing arrives, and the connection stays (the scrape's own is the other one).
    const Wire wire = read_wire(client.fd(), 300ms, [](const Wire&) { return false; });
    EXPECT_FALSE(wire.closed);
    EXPECT_EQ(wire.bytes, "");
    EXPECT_EQ(metric(server.port(), "loadlab_open_connections"), 2);
  }
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "loadlab_open_connections") == 1; }));
  EXPECT_TRUE(healthy(server.port()));
}

TEST(Fault, HangEndsAtTheMaximumDelay) {
  ServerProcess server({"--threads", "1", "--max-delay-ms", "300"});
  const Wire wire = fetch(server.port(), request("/fault/hang"));
  EXPECT_TRUE(wire.closed);
  EXPECT_EQ(wire.error, 0);
  EXPECT_EQ(wire.bytes, "");
}

TEST(Fault, GarbageIsNotHttp) {
  ServerProcess server({"--threads", "1"});
  const Wire wire = fetch(server.port(), request("/fault/garbage"));
  EXPECT_TRUE(wire.closed);
  EXPECT_EQ(wire.error, 0);
  EXPECT_FALSE(wire.bytes.empty());
  EXPECT_NE(wire.bytes.rfind("HTTP/", 0), 0u);
  EXPECT_EQ(faults(server.port(), "garbage"), 1);
}

TEST(Fault, SlowHeadersTrickleThenAValidResponse) {
  ServerProcess server({"--threads", "1"});
  const Wire wire = fetch(server.port(), request("/fault/slow-headers?duration=1000"));
  const auto head = parse_head(wire.bytes);
  ASSERT_TRUE(head) << wire.bytes;
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(wire.bytes.substr(head->size), "{\"slow_headers_ms\":1000}\n");
  EXPECT_EQ(std::stoul(head->header("content-length")), wire.bytes.size() - head->size);
  // The head came in more than one read: a read ended inside it.
  bool partial = false;
  for (const std::size_t size : wire.reads) partial = partial || size < head->size;
  EXPECT_TRUE(partial);
  // HEAD: the same trickle, no body.
  const Wire head_only = fetch(server.port(), request("/fault/slow-headers?duration=200", "HEAD"));
  const auto only = parse_head(head_only.bytes);
  ASSERT_TRUE(only) << head_only.bytes;
  EXPECT_EQ(head_only.bytes.size(), only->size);
  EXPECT_EQ(faults(server.port(), "slow-headers"), 2);
}

// Pipelined behind a slower answer, the trickle's timer fires while the /300 is still in
// front: its pieces must still go out once it is (the connection once hung here for good).
TEST(Fault, SlowHeadersPipelinedBehindADelayStillTrickleOut) {
  ServerProcess server({"--threads", "1"});
  const Wire wire =
      fetch(server.port(), request("/300") + request("/fault/slow-headers?duration=100"));
  EXPECT_TRUE(wire.closed);
  const auto first = parse_head(wire.bytes);
  ASSERT_TRUE(first) << wire.bytes;
  EXPECT_EQ(first->status, 200);
  const std::size_t second_at = wire.bytes.find("HTTP/1.1 ", first->size);
  ASSERT_NE(second_at, std::string::npos) << wire.bytes;
  const auto second = parse_head(wire.bytes.substr(second_at));
  ASSERT_TRUE(second) << wire.bytes;
  EXPECT_EQ(wire.bytes.substr(second_at + second->size), "{\"slow_headers_ms\":100}\n");
}

TEST(Fault, RequestsPipelinedBehindAFaultAreNotAnswered) {
  ServerProcess server({"--threads", "1"});
  // Before the fault: answered. Behind it: not.
  const Wire wire = fetch(server.port(), request("/0") + request("/fault/close?after=50") +
                                             request("/0") + request("/0"));
  const auto head = parse_head(wire.bytes);
  ASSERT_TRUE(head) << wire.bytes;
  EXPECT_EQ(wire.bytes.find("HTTP/1.1", head->size), std::string::npos) << wire.bytes;
  EXPECT_TRUE(wire.closed);
  const Wire reset = fetch(server.port(), request("/fault/reset") + request("/0"));
  EXPECT_EQ(reset.bytes, "");
  EXPECT_EQ(reset.error, ECONNRESET);
  EXPECT_TRUE(healthy(server.port()));
}

TEST(Fault, BadParametersAre400sNamingThem) {
  ServerProcess server({"--threads", "1", "--max-delay-ms", "5000"});
  const struct {
    std::string target;
    int status;
    std::string names;
  } cases[] = {
      {"/fault/reset?after=5001", 400, "after must be a whole number from 0 to 5000"},
      {"/fault/close?after=x", 400, "after must be"},
      {"/fault/truncate?bytes=-1", 400, "bytes must be"},
      {"/fault/hang?after=1", 400, "'after'"},
      {"/fault/garbage?bytes=1", 400, "'bytes'"},
      {"/fault/slow-headers?duration=9999", 400, "duration must be"},
      {"/fault/explode", 404, "explode"},
  };
  for (const auto& c : cases) {
    const auto response = http_get(server.port(), c.target);
    ASSERT_TRUE(response) << c.target;
    EXPECT_EQ(response->status, c.status) << c.target;
    EXPECT_NE(response->body.find(c.names), std::string::npos)
        << c.target << ": " << response->body;
  }
  EXPECT_EQ(faults(server.port(), "reset"), 0);
}

}  // namespace
}  // namespace loadlab::test
