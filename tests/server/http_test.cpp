// The HTTP/1.1 surface of the real loadlab-server, over loopback sockets: every test runs on
// the plain port and on the HTTPS port (--tls-self-signed), which must behave the same.
#include <gtest/gtest.h>

#include <chrono>
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

// A server under test and the port its clients use: the plain one, or the HTTPS one.
class TestServer {
 public:
  explicit TestServer(Transport transport, std::vector<std::string> args = {})
      : process_(with_tls(transport, std::move(args))), transport_(transport) {}

  std::uint16_t port() const {
    return transport_ == Transport::kPlain ? process_.port() : process_.tls_port();
  }
  std::uint16_t plain_port() const { return process_.port(); }  // /metrics for assertions
  TcpClient connect() const { return TcpClient(port(), transport_); }
  std::optional<HttpResponse> get(const std::string& target) const {
    return http_get(port(), transport_, target);
  }

 private:
  static std::vector<std::string> with_tls(Transport transport, std::vector<std::string> args) {
    if (transport != Transport::kPlain)
      args.insert(args.end(), {"--tls-self-signed", "--tls-port", "0"});
    return args;
  }

  ServerProcess process_;
  Transport transport_;
};

class Http : public ::testing::TestWithParam<Transport> {};

void expect_json_error(const HttpResponse& response, int status) {
  EXPECT_EQ(response.status, status);
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.header("content-length"), std::to_string(response.body.size()));
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["status"], status);
  EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
}

TEST_P(Http, DelayAnswersAfterAtLeastNMilliseconds) {
  TestServer server(GetParam(), {"--threads", "1"});
  const auto start = Clock::now();
  const auto response = server.get("/100");
  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_GE(elapsed, 100ms);
  const auto body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body["delay_ms"], 100);
  EXPECT_GE(body["waited_ms"].get<double>(), 100.0);
  EXPECT_TRUE(response->header("server-timing").starts_with("delay;dur=1"));
  EXPECT_FALSE(response->header("date").empty());
  EXPECT_EQ(response->header("content-length"), std::to_string(response->body.size()));
}

TEST_P(Http, TrailingSlashAndQueryAreAccepted) {
  TestServer server(GetParam());
  for (const char* target : {"/5/", "/5?jitter=0", "/0"}) {
    const auto response = server.get(target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 200) << target;
  }
}

TEST_P(Http, KeepAliveReusesOneConnection) {
  TestServer server(GetParam(), {"--threads", "1"});
  TcpClient client = server.connect();
  for (int i = 0; i < 5; ++i) {
    client.send(get_request("/1"));
    const auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("connection"), "");
  }
  // This client's one connection plus the /metrics request's own.
  EXPECT_EQ(metric(server.plain_port(), "loadlab_connections_accepted_total"), 2);
}

TEST_P(Http, PipelinedResponsesKeepRequestOrder) {
  TestServer server(GetParam());
  TcpClient client = server.connect();
  const auto start = Clock::now();
  client.send(get_request("/1000") + get_request("/10") + get_request("/0"));
  const auto first = client.read_response();
  const auto second = client.read_response();
  const auto third = client.read_response();
  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(nlohmann::json::parse(first->body)["delay_ms"], 1000);
  EXPECT_EQ(nlohmann::json::parse(second->body)["delay_ms"], 10);
  EXPECT_EQ(nlohmann::json::parse(third->body)["delay_ms"], 0);
  // The delays ran concurrently: /10 finished long before /300 but waited for its turn.
  EXPECT_LT(nlohmann::json::parse(second->body)["waited_ms"].get<double>(), 900.0);
  EXPECT_GE(elapsed, 1000ms);
}

TEST_P(Http, DeepPipelinePausesAndResumes) {
  TestServer server(GetParam(), {"--max-pipeline", "4"});
  TcpClient client = server.connect();
  std::string burst;
  for (int i = 0; i < 300; ++i) burst += get_request(i % 2 ? "/0" : "/1");
  client.send(burst);
  for (int i = 0; i < 300; ++i) {
    const auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(nlohmann::json::parse(response->body)["delay_ms"], i % 2 ? 0 : 1) << i;
  }
}

// The same, one write per request: over TLS each is a record of its own, so when reading
// pauses, whole records wait in the TLS session (decrypted or not), not in the socket, and
// resuming must take them from there (no new bytes will come to wake the connection).
TEST_P(Http, PipelineOfSeparateWritesPausesAndResumes) {
  TestServer server(GetParam(), {"--max-pipeline", "2"});
  TcpClient client = server.connect();
  for (int i = 0; i < 50; ++i) client.send(get_request("/0"));
  for (int i = 0; i < 50; ++i) {
    const auto response = client.read_response(60s);
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status, 200) << i;
  }
}

// Responses answered together leave together: over TLS small ones share records (up to a full
// record's plaintext) and one larger than a record goes on its own, all in request order.
// The first `count` bytes /bytes sends for `seed`, as docs/server.md defines them.
std::string seeded_bytes(std::uint64_t seed, std::size_t count) {
  std::string bytes;
  for (std::uint64_t word = 0; bytes.size() < count; ++word) {
    std::uint64_t z = seed + (word + 1) * 0x9e3779b97f4a7c15;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z ^= z >> 31;
    for (int b = 0; b < 8; ++b) bytes += static_cast<char>(z >> (8 * b));
  }
  bytes.resize(count);
  return bytes;
}

TEST_P(Http, PipelinedSmallAndLargeResponsesArriveWholeAndInOrder) {
  TestServer server(GetParam(), {"--threads", "1"});
  TcpClient client = server.connect();
  std::vector<std::size_t> sizes;
  std::vector<int> seeds;
  std::string burst;
  for (int i = 0; i < 60; ++i) {
    // Mostly small bodies, some several kilobytes (a joined record fills up), some over 16 KiB.
    const std::size_t size = i % 7 == 6 ? 20000 + i : i % 3 == 2 ? 5000 + i : 1 + i;
    sizes.push_back(size);
    seeds.push_back(i);
    burst += get_request("/bytes/" + std::to_string(size) + "?seed=" + std::to_string(i));
    if (i % 5 == 0) {
      sizes.push_back(0);  // 0: a /0
      seeds.push_back(-1);
      burst += get_request("/0");
    }
  }
  client.send(burst);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    ASSERT_EQ(response->status, 200) << i;
    if (sizes[i] == 0) {
      EXPECT_EQ(nlohmann::json::parse(response->body)["delay_ms"], 0) << i;
    } else {
      EXPECT_EQ(response->body.size(), sizes[i]) << i;
      EXPECT_TRUE(response->body == seeded_bytes(static_cast<std::uint64_t>(seeds[i]), sizes[i]))
          << "response " << i << ": not seed " << seeds[i] << "'s bytes";
    }
  }
}

TEST_P(Http, ErrorsAreJsonWithTheRightStatus) {
  TestServer server(GetParam());
  auto response = server.get("/nope");
  ASSERT_TRUE(response);
  expect_json_error(*response, 404);

  response = server.get("/60001");
  ASSERT_TRUE(response);
  expect_json_error(*response, 400);

  response = server.get("/99999999999999999999999");
  ASSERT_TRUE(response);
  expect_json_error(*response, 400);

  TcpClient client = server.connect();
  client.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  response = client.read_response();
  ASSERT_TRUE(response);
  expect_json_error(*response, 405);
  EXPECT_EQ(response->header("allow"), "GET, HEAD");
  // A routing error is not a protocol error: the connection stays usable.
  client.send(get_request("/0"));
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_P(Http, MalformedRequestGets400ThenClose) {
  TestServer server(GetParam());
  TcpClient client = server.connect();
  client.send("GARBAGE\r\n\r\n");
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  expect_json_error(*response, 400);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed(60s));
  EXPECT_EQ(metric(server.plain_port(), "loadlab_parse_errors_total"), 1);
}

TEST_P(Http, UnsupportedVersionGets505) {
  TestServer server(GetParam());
  TcpClient client = server.connect();
  client.send("GET /0 HTTP/2.0\r\nHost: x\r\n\r\n");
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->status == 505 || response->status == 400) << response->status;
  EXPECT_TRUE(client.wait_closed(60s));
}

TEST_P(Http, LongUrlGets414) {
  TestServer server(GetParam(), {"--max-url-bytes", "64"});
  TcpClient client = server.connect();
  client.send(get_request("/" + std::string(100, '1')));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  expect_json_error(*response, 414);
  EXPECT_TRUE(client.wait_closed(60s));
}

TEST_P(Http, LargeHeadersGet431) {
  TestServer server(GetParam(), {"--max-header-bytes", "1024"});
  TcpClient client = server.connect();
  client.send(get_request("/0", "X-Big: " + std::string(2000, 'a') + "\r\n"));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  expect_json_error(*response, 431);
  EXPECT_TRUE(client.wait_closed(60s));
}

TEST_P(Http, LargeBodyGets413ByLengthAndByChunks) {
  TestServer server(GetParam(), {"--max-body-bytes", "100"});
  {
    TcpClient client = server.connect();
    client.send("GET /0 HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
    const auto response = client.read_response();
    ASSERT_TRUE(response);
    expect_json_error(*response, 413);
  }
  {
    TcpClient client = server.connect();
    client.send("GET /0 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" +
                std::string(100, 'b') + "\r\n10\r\n" + std::string(16, 'c') + "\r\n0\r\n\r\n");
    const auto response = client.read_response();
    ASSERT_TRUE(response);
    expect_json_error(*response, 413);
  }
}

TEST_P(Http, BodiesAreReadAndDiscarded) {
  TestServer server(GetParam());
  TcpClient client = server.connect();
  client.send("GET /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world" +
              std::string("GET /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                          "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n") +
              get_request("/3"));
  for (int delay : {1, 2, 3}) {
    const auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(nlohmann::json::parse(response->body)["delay_ms"], delay);
  }
}

TEST_P(Http, ExpectContinue) {
  TestServer server(GetParam());
  TcpClient client = server.connect();
  client.send("GET /5 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  const auto interim = client.read_response(60s);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  client.send("data");
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);

  client.send("GET /5 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: something-else\r\n\r\n");
  const auto refused = client.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 417);
}

TEST_P(Http, HeadHasHeadersButNoBody) {
  TestServer server(GetParam());
  TcpClient client = server.connect();
  client.send("HEAD /1 HTTP/1.1\r\nHost: x\r\n\r\n" + get_request("/healthz"));
  const auto head = client.read_response(60s, /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_GT(std::stoi(head->header("content-length")), 0);
  EXPECT_TRUE(head->body.empty());
  // The next response must start right after the headers: no stray body bytes.
  const auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(nlohmann::json::parse(next->body)["status"], "ok");
}

TEST_P(Http, Http10ClosesUnlessKeepAliveAsked) {
  TestServer server(GetParam());
  {
    TcpClient client = server.connect();
    client.send("GET /0 HTTP/1.0\r\n\r\n");
    const auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->header("connection"), "close");
    EXPECT_TRUE(client.wait_closed(60s));
  }
  {
    TcpClient client = server.connect();
    client.send("GET /0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->header("connection"), "keep-alive");
    client.send("GET /0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
}

TEST_P(Http, ConnectionCloseIsHonoured) {
  TestServer server(GetParam());
  TcpClient client = server.connect();
  client.send(get_request("/0", "Connection: close\r\n") + get_request("/0"));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed(60s));  // the second request is never answered
  // Over TLS, the close is announced (close_notify), not a bare FIN a client cannot tell from
  // a truncation.
  if (GetParam() != Transport::kPlain) {
    EXPECT_TRUE(client.close_notify_received());
  }
}

// What follows an Upgrade request is not HTTP/1.1: it is answered, then the connection closes
// (with a shallow pipeline it used to stay open, unread and unanswered, for ever).
TEST_P(Http, AnUpgradeRequestIsTheConnectionsLast) {
  for (const char* pipeline : {"1", "32"}) {
    TestServer server(GetParam(), {"--max-pipeline", pipeline});
    TcpClient client = server.connect();
    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\nX");
    const auto response = client.read_response();
    ASSERT_TRUE(response) << pipeline;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("connection"), "close") << pipeline;
    EXPECT_TRUE(client.wait_closed(60s)) << pipeline;
  }
}

TEST_P(Http, ErrorBodiesAreValidJsonWhateverTheUrlHolds) {
  TestServer server(GetParam());
  TcpClient client = server.connect();
  // Quotes, backslashes and braces reach the router (and its 404 message) ...
  client.send("GET /\"\\{}\" HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  expect_json_error(*response, 404);  // the JSON parser throws on a bad escape
  // ... octets outside ASCII are refused by the parser (RFC 3986 has none in a URI).
  client.send("GET /\xff\xfe\xc3 HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto refused = client.read_response();
  ASSERT_TRUE(refused);
  expect_json_error(*refused, 400);  // the JSON parser throws on invalid UTF-8
}

TEST_P(Http, OperationalEndpoints) {
  TestServer server(GetParam());
  auto response = server.get("/healthz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  response = server.get("/readyz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  server.get("/7");
  // The /7 is counted once its write has completed, on its own loop's thread, which may be a
  // moment after the client has read it: poll briefly rather than race that.
  EXPECT_TRUE(eventually([&] {
    return metric(server.plain_port(),
                  R"(loadlab_http_requests_total{route="delay",code="200"})") == 1;
  }));
  response = server.get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->header("content-type").starts_with("text/plain; version=0.0.4"));
  for (const char* name :
       {"loadlab_http_requests_total{route=\"delay\",code=\"200\"} 1",
        "loadlab_http_requests_in_flight", "loadlab_open_connections",
        "loadlab_connections_refused_total", "loadlab_http_request_duration_seconds_bucket"}) {
    EXPECT_NE(response->body.find(name), std::string::npos) << name;
  }
}

TEST(HttpIpv6, ListensOnIpv6Loopback) {
  ServerProcess server({"--host", "::1"});
  const auto result = run_command(
      {"curl", "-s", "-g", "http://[::1]:" + std::to_string(server.port()) + "/healthz"}, 10s);
  if (result.exit_code == 127) GTEST_SKIP() << "curl not installed";
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("ok"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Transports, Http, ::testing::Values(Transport::kPlain, Transport::kTls),
                         [](const ::testing::TestParamInfo<Transport>& param) {
                           return std::string(to_string(param.param));
                         });

}  // namespace
}  // namespace loadlab::test
