// The loadgen names each fault a server can commit: one fake server per fault shape (what the
// server's /fault endpoints do), and a check that the fault lands in its own kind and nowhere
// else (requests, other kinds, statuses, bytes read, resends).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/loadgen/fake_server.h"
#include "tests/loadgen/run_loadgen.h"

namespace loadlab::test {
namespace {

// Reads from `client` until a whole request head is in (the loadgen's GETs have no body), so
// that what follows is the server's doing, not a reaction to an unread request. False if the
// client left first.
bool read_request_head(int client, const std::atomic<bool>& stop) {
  std::string received;
  char buffer[4096];
  while (!stop) {
    pollfd p{client, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = read(client, buffer, sizeof buffer);
    if (n <= 0) return false;
    received.append(buffer, static_cast<std::size_t>(n));
    if (received.find("\r\n\r\n") != std::string::npos) return true;
  }
  return false;
}

void send_all(int client, const std::string& bytes) {
  (void)!write(client, bytes.data(), bytes.size());  // small: one write on loopback
}

// Each connection: read one request, then `fault` (which sends what it sends), then a close:
// a FIN, or a RST when `abort` (SO_LINGER 0).
FakeServer::Serve after_the_request(std::function<void(int client)> fault, bool abort = false) {
  return [fault = std::move(fault), abort](int client, const std::atomic<bool>& stop) {
    if (read_request_head(client, stop)) {
      fault(client);
      if (abort) {
        linger hard{1, 0};
        setsockopt(client, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      }
    }
    close(client);
  };
}

std::string url(const FakeServer& server) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + "/";
}

nlohmann::json run(const FakeServer& server, int requests, const char* timeout = "20s") {
  const auto result = loadgen({"-n", std::to_string(requests), "-c", "1", "--timeout", timeout,
                               "--json", "-", "-q", url(server)});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

// Every request failed with `kind`, and nothing else was counted: no response, no status, no
// other kind, no resend; `bytes_each` bytes read per request.
void expect_only(const nlohmann::json& report, const std::string& kind, int requests,
                 int bytes_each) {
  EXPECT_EQ(report["requests"]["total"], requests);
  EXPECT_EQ(report["requests"]["responses"], 0);
  EXPECT_EQ(report["requests"]["errors"], requests);
  EXPECT_EQ(report["requests"]["cancelled"], 0);
  for (const char* name : kErrorKinds) {
    // -1: a kind the report does not have (a loadgen that could not name this fault).
    EXPECT_EQ(report["errors"].value(name, -1), name == kind ? requests : 0) << name;
  }
  EXPECT_EQ(report["status_codes"], nlohmann::json::object());
  EXPECT_EQ(report["latency_us"]["count"], 0);
  EXPECT_EQ(report["bytes_read"], requests * bytes_each);
  EXPECT_EQ(report["retried_stale"], 0);
  EXPECT_EQ(report["connections_opened"], requests);  // a failed connection is never reused
  ASSERT_EQ(report["by_url"].size(), 1u);
  EXPECT_EQ(report["by_url"][0]["errors"].value(kind, -1), requests);
}

// /fault/reset: the request is read, then the connection is aborted.
TEST(FaultClassification, ARstAfterTheRequestIsAReset) {
  FakeServer server(after_the_request([](int) {}, /*abort=*/true));
  expect_only(run(server, 4), "reset", 4, 0);
}

// /fault/close: the request is read, then a FIN and not a byte. It was a "reset".
TEST(FaultClassification, AFinWithoutAResponseIsClosed) {
  FakeServer server(after_the_request([](int) {}));
  expect_only(run(server, 4), "closed", 4, 0);
}

// /fault/truncate: Content-Length 1000, 500 bytes of body, a FIN. It was a "reset".
TEST(FaultClassification, ABodyShortOfItsContentLengthIsTruncated) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(500, 'x');
  FakeServer server(after_the_request([&response](int client) { send_all(client, response); }));
  expect_only(run(server, 4), "truncated", 4, static_cast<int>(response.size()));
}

// A chunked body whose last (zero-size) chunk never comes, cut inside a chunk.
TEST(FaultClassification, AChunkedBodyWithoutItsLastChunkIsTruncated) {
  const std::string response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n" +
                               std::string(256, 'x') + "\r\n10\r\nxxxxx";
  FakeServer server(after_the_request([&response](int client) { send_all(client, response); }));
  expect_only(run(server, 4), "truncated", 4, static_cast<int>(response.size()));
}

// Cut after the last whole chunk, at a chunk boundary: still not the end of the body.
TEST(FaultClassification, AChunkedBodyCutBetweenChunksIsTruncated) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
  FakeServer server(after_the_request([&response](int client) { send_all(client, response); }));
  expect_only(run(server, 3), "truncated", 3, static_cast<int>(response.size()));
}

// Headers cut short (a status line, then a FIN): the response began and did not end.
TEST(FaultClassification, HeadersCutShortAreTruncated) {
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Len";
  FakeServer server(after_the_request([&response](int client) { send_all(client, response); }));
  expect_only(run(server, 3), "truncated", 3, static_cast<int>(response.size()));
}

// /fault/garbage: bytes that are not HTTP, then a FIN.
TEST(FaultClassification, GarbageThenAFinIsParse) {
  const std::string garbage = "SSH-2.0-not-http\r\n\x01\x02\x03\r\n\r\n";
  FakeServer server(after_the_request([&garbage](int client) { send_all(client, garbage); }));
  expect_only(run(server, 4), "parse", 4, static_cast<int>(garbage.size()));
}

// /fault/hang: the request is read and never answered; the server waits for the client to go.
TEST(FaultClassification, NoAnswerIsATimeout) {
  FakeServer server([](int client, const std::atomic<bool>& stop) {
    if (read_request_head(client, stop)) read_request_head(client, stop);  // until EOF or stop
    close(client);
  });
  expect_only(run(server, 3, "200ms"), "timeout", 3, 0);
}

// A close-delimited body (no Content-Length, no chunks) ends with the FIN: a response, not a
// truncation.
TEST(FaultClassification, ACloseDelimitedBodyIsAResponse) {
  const std::string response = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nthe whole body";
  FakeServer server(after_the_request([&response](int client) { send_all(client, response); }));
  const auto report = run(server, 3);
  EXPECT_EQ(report["requests"]["responses"], 3);
  EXPECT_EQ(report["requests"]["errors"], 0);
  EXPECT_EQ(report["status_codes"]["200"], 3);
  EXPECT_EQ(report["bytes_read"], 3 * static_cast<int>(response.size()));
}

// A kept-alive connection idle long enough for the idle-timeout race: a FIN before any byte is
// resent (retried_stale), but an answer cut short is the server's fault, never resent.
TEST(FaultClassification, ATruncationOnAnIdleKeptAliveConnectionIsNotResent) {
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const std::string cut = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nxx";
  FakeServer server([&](int client, const std::atomic<bool>& stop) {
    if (read_request_head(client, stop)) send_all(client, ok);
    if (read_request_head(client, stop)) send_all(client, cut);
    close(client);
  });
  // An open loop at 4/s: the connection is idle 250 ms before its reuse.
  const auto result =
      loadgen({"--rate", "4", "-n", "2", "-c", "1", "--json", "-", "-q", url(server)});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["requests"]["responses"], 1);
  EXPECT_EQ(report["status_codes"]["200"], 1);
  EXPECT_EQ(report["errors"].value("truncated", -1), 1);
  EXPECT_EQ(report["errors"]["reset"], 0);
  EXPECT_EQ(report["retried_stale"], 0);
  EXPECT_EQ(report["connections_opened"], 1);
  EXPECT_EQ(report["bytes_read"], static_cast<int>(ok.size() + cut.size()));
}

}  // namespace
}  // namespace loadlab::test
