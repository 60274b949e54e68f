// Sized, slow and streamed bodies (/bytes, /drip, /stream) over loopback: their bytes and
// framing, that slow bodies arrive in pieces, and that a client that stops reading a large
// body costs a bounded amount of memory and is cut off by the write-stall timeout.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/server/wire.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

std::string request(const std::string& target, const std::string& method = "GET") {
  return method + " " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
}

// One request on a fresh connection, read until the server closes it.
Wire fetch(std::uint16_t port, const std::string& bytes) {
  TcpClient client(port);
  EXPECT_TRUE(client.connected());
  client.send(bytes);
  return read_until_closed(client.fd(), 60s);
}

std::string length_body(std::uint16_t port, const std::string& target) {
  const Wire wire = fetch(port, request(target));
  const auto head = parse_head(wire.bytes);
  if (!head || head->status != 200) return "<no 200: " + wire.bytes.substr(0, 200) + ">";
  EXPECT_EQ(head->headers.count("transfer-encoding"), 0u);
  EXPECT_EQ(std::stoul(head->headers.at("content-length")), wire.bytes.size() - head->size);
  return wire.bytes.substr(head->size);
}

long peak_resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(Streaming, BytesAreTheSameForTheSameSeed) {
  ServerProcess server({"--threads", "1"});
  const std::string first = length_body(server.port(), "/bytes/300000?seed=7");
  const std::string again = length_body(server.port(), "/bytes/300000?seed=7");
  const std::string other = length_body(server.port(), "/bytes/300000?seed=8");
  ASSERT_EQ(first.size(), 300000u) << first.substr(0, 200);
  EXPECT_EQ(first, again);
  ASSERT_EQ(other.size(), 300000u);
  EXPECT_NE(first, other);
  // A prefix is the same stream: the bytes depend on the seed and the offset only.
  EXPECT_EQ(length_body(server.port(), "/bytes/1001?seed=7"), first.substr(0, 1001));
  EXPECT_EQ(length_body(server.port(), "/bytes/0?seed=7"), "");
}

TEST(Streaming, ChunkedBytesComeInChunksOfTheAskedSize) {
  ServerProcess server({"--threads", "1"});
  const std::string plain = length_body(server.port(), "/bytes/100000?seed=3");
  const Wire wire = fetch(server.port(), request("/bytes/100000?seed=3&chunked=1&chunk=1000"));
  const auto head = parse_head(wire.bytes);
  ASSERT_TRUE(head) << wire.bytes.substr(0, 200);
  EXPECT_EQ(head->header("transfer-encoding"), "chunked");
  EXPECT_EQ(head->headers.count("content-length"), 0u);
  const auto chunks = dechunk(wire.bytes, head->size);
  ASSERT_TRUE(chunks);
  EXPECT_EQ(chunks->data, plain);
  EXPECT_EQ(chunks->count, 100u);
  EXPECT_EQ(chunks->end, wire.bytes.size());
  // The default chunk size.
  const Wire defaults = fetch(server.port(), request("/bytes/100000?seed=3&chunked=1"));
  const auto default_chunks = dechunk(defaults.bytes, parse_head(defaults.bytes)->size);
  ASSERT_TRUE(default_chunks);
  EXPECT_EQ(default_chunks->data, plain);
  EXPECT_EQ(default_chunks->count, 7u);  // 6 of 16384 and the rest
}

TEST(Streaming, KeepAliveResponsesFollowAStreamedBodyInOrder) {
  ServerProcess server({"--threads", "1"});
  TcpClient client(server.port());
  const std::string keep = "GET /bytes/70000?seed=1&chunked=1 HTTP/1.1\r\nHost: t\r\n\r\n";
  client.send(keep + "GET /stream/2 HTTP/1.1\r\nHost: t\r\n\r\n" + request("/bytes/5?seed=1"));
  const Wire wire = read_until_closed(client.fd(), 60s);
  const auto first = parse_head(wire.bytes);
  ASSERT_TRUE(first);
  const auto body = dechunk(wire.bytes, first->size);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->data.size(), 70000u);
  const auto second = parse_head(wire.bytes.substr(body->end));
  ASSERT_TRUE(second);
  const auto lines = dechunk(wire.bytes, body->end + second->size);
  ASSERT_TRUE(lines);
  const std::string rest = wire.bytes.substr(lines->end);
  const auto third = parse_head(rest);
  ASSERT_TRUE(third) << rest;
  EXPECT_EQ(rest.substr(third->size), body->data.substr(0, 5));
}

TEST(Streaming, DripArrivesInPiecesSpreadOverItsDuration) {
  ServerProcess server({"--threads", "1"});
  TcpClient client(server.port());
  client.send(request("/drip?bytes=4&duration=3000"));
  const Wire wire = read_until_closed(client.fd(), 60s);
  const auto head = parse_head(wire.bytes);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("content-length"), "4");
  EXPECT_NE(head->header("server-timing").find("delay;dur="), std::string::npos);
  EXPECT_EQ(wire.bytes.substr(head->size), "****");
  // Some read saw the head and part of the body: the first byte left before the last.
  bool partial = false;
  for (const std::size_t size : wire.reads) {
    partial = partial || (size > head->size && size < wire.bytes.size());
  }
  EXPECT_TRUE(partial) << "all of the drip arrived at once";
}

TEST(Streaming, ChunkedDripAfterADelay) {
  ServerProcess server({"--threads", "1"});
  const Wire wire = fetch(server.port(), request("/drip?bytes=5&duration=200&delay=100&chunked=1"));
  const auto head = parse_head(wire.bytes);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("transfer-encoding"), "chunked");
  const auto chunks = dechunk(wire.bytes, head->size);
  ASSERT_TRUE(chunks);
  EXPECT_EQ(chunks->data, "*****");
}

TEST(Streaming, StreamSendsNJsonLines) {
  ServerProcess server({"--threads", "1"});
  const Wire wire = fetch(server.port(), request("/stream/5?delay=20"));
  const auto head = parse_head(wire.bytes);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("transfer-encoding"), "chunked");
  const auto chunks = dechunk(wire.bytes, head->size);
  ASSERT_TRUE(chunks);
  std::vector<nlohmann::json> lines;
  std::size_t at = 0;
  while (at < chunks->data.size()) {
    const auto eol = chunks->data.find('\n', at);
    ASSERT_NE(eol, std::string::npos);
    lines.push_back(nlohmann::json::parse(chunks->data.substr(at, eol - at)));
    at = eol + 1;
  }
  ASSERT_EQ(lines.size(), 5u);
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i]["id"], i);
}

TEST(Streaming, HeadGetsTheHeadersOnly) {
  ServerProcess server({"--threads", "1"});
  for (const std::string target :
       {"/bytes/1000?seed=1", "/drip?bytes=3&duration=50", "/stream/3"}) {
    const Wire wire = fetch(server.port(), request(target, "HEAD"));
    const auto head = parse_head(wire.bytes);
    ASSERT_TRUE(head) << target;
    EXPECT_EQ(head->status, 200) << target;
    EXPECT_EQ(wire.bytes.size(), head->size) << target;
  }
}

TEST(Streaming, HttpTenGetsAStreamDelimitedByTheClose) {
  ServerProcess server({"--threads", "1"});
  const Wire wire = fetch(server.port(), "GET /stream/2 HTTP/1.0\r\n\r\n");
  const auto head = parse_head(wire.bytes);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->headers.count("transfer-encoding"), 0u);
  EXPECT_EQ(head->header("connection"), "close");
  EXPECT_NE(wire.bytes.find("\"id\":1"), std::string::npos);
}

// A client that asks for large bodies and reads nothing holds one piece of each in the
// server, and loses its connection once a write has waited the keep-alive timeout.
TEST(Streaming, ANonReadingClientOfLargeBodiesIsCutOffWithBoundedMemory) {
  ServerProcess server({"--threads", "1", "--keepalive-timeout-ms", "3000"});
  std::vector<int> fds;
  for (int i = 0; i < 30; ++i) {
    const int fd = connect_non_reading(server.port());
    ASSERT_GE(fd, 0);
    const std::string get = "GET /bytes/10485760 HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_EQ(::send(fd, get.data(), get.size(), MSG_NOSIGNAL), static_cast<ssize_t>(get.size()));
    fds.push_back(fd);
  }
  // All 30 are stalled with part of their bodies queued (300 MiB if they were buffered whole).
  ASSERT_TRUE(
      eventually([&] { return metric(server.port(), "loadlab_queued_response_bytes") > 0; }));
  EXPECT_LT(metric(server.port(), "loadlab_queued_response_bytes"), 30 * 256 * 1024);
  EXPECT_LT(peak_resident_kib(server.pid()), 100 * 1024);
  EXPECT_TRUE(
      eventually([&] { return metric(server.port(), "loadlab_idle_timeouts_total") >= 30; }));
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "loadlab_open_connections") == 1; }));
  EXPECT_EQ(metric(server.port(), "loadlab_queued_response_bytes"), 0);
  for (const int fd : fds) ::close(fd);
}

TEST(Streaming, BadParametersAre400sNamingThem) {
  ServerProcess server(
      {"--threads", "1", "--max-response-bytes", "1000", "--max-delay-ms", "5000"});
  const struct {
    std::string target;
    std::string names;
  } cases[] = {
      {"/bytes/1001", "N must be"},
      {"/bytes/x", "N must be"},
      {"/bytes/10?sed=1", "'sed'"},
      {"/bytes/10?seed=-1", "seed must be"},
      {"/bytes/10?chunked=1&chunk=0", "chunk must be"},
      {"/bytes/10?chunk=10", "chunked=1"},
      {"/bytes/10?chunked=yes", "chunked must be"},
      {"/drip?bytes=1001", "bytes must be a whole number from 0 to 1000"},
      {"/drip?duration=5001", "duration must be a whole number from 0 to 5000"},
      {"/drip?delay=abc", "delay must be"},
      {"/drip?speed=1", "'speed'"},
      {"/stream/10001", "N must be"},
      {"/stream/10?delay=1000", "delay"},
      {"/stream/3?delay=%zz", "percent-escape"},
  };
  for (const auto& c : cases) {
    const auto response = http_get(server.port(), c.target);
    ASSERT_TRUE(response) << c.target;
    EXPECT_EQ(response->status, 400) << c.target;
    EXPECT_NE(response->body.find(c.names), std::string::npos)
        << c.target << ": " << response->body;
  }
}

TEST(Streaming, RoutesHaveTheirLabels) {
  ServerProcess server({"--threads", "1"});
  length_body(server.port(), "/bytes/10");
  fetch(server.port(), request("/drip?bytes=1&duration=0"));
  fetch(server.port(), request("/stream/1"));
  for (const std::string route : {"bytes", "drip", "stream"}) {
    EXPECT_TRUE(eventually([&] {
      return metric(server.port(),
                    "loadlab_http_requests_total{route=\"" + route + "\",code=\"200\"}") == 1;
    })) << route;
  }
}

}  // namespace
}  // namespace loadlab::test
