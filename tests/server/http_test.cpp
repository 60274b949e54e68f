// The HTTP/1.1 surface of the real loadlab-server, over loopback sockets.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

void expect_json_error(const HttpResponse& response, int status) {
  EXPECT_EQ(response.status, status);
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.header("content-length"), std::to_string(response.body.size()));
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["status"], status);
  EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
}

TEST(Http, DelayAnswersAfterAtLeastNMilliseconds) {
  ServerProcess server({"--threads", "1"});
  const auto start = Clock::now();
  const auto response = http_get(server.port(), "/100");
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

TEST(Http, TrailingSlashAndQueryAreAccepted) {
  ServerProcess server;
  for (const char* target : {"/5/", "/5?jitter=0", "/0"}) {
    const auto response = http_get(server.port(), target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 200) << target;
  }
}

TEST(Http, KeepAliveReusesOneConnection) {
  ServerProcess server({"--threads", "1"});
  TcpClient client(server.port());
  for (int i = 0; i < 5; ++i) {
    client.send(get_request("/1"));
    const auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("connection"), "");
  }
  // This client's one connection plus the /metrics request's own.
  EXPECT_EQ(metric(server.port(), "loadlab_connections_accepted_total"), 2);
}

TEST(Http, PipelinedResponsesKeepRequestOrder) {
  ServerProcess server;
  TcpClient client(server.port());
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

TEST(Http, DeepPipelinePausesAndResumes) {
  ServerProcess server({"--max-pipeline", "4"});
  TcpClient client(server.port());
  std::string burst;
  for (int i = 0; i < 300; ++i) burst += get_request(i % 2 ? "/0" : "/1");
  client.send(burst);
  for (int i = 0; i < 300; ++i) {
    const auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(nlohmann::json::parse(response->body)["delay_ms"], i % 2 ? 0 : 1) << i;
  }
}

TEST(Http, ErrorsAreJsonWithTheRightStatus) {
  ServerProcess server;
  auto response = http_get(server.port(), "/nope");
  ASSERT_TRUE(response);
  expect_json_error(*response, 404);

  response = http_get(server.port(), "/60001");
  ASSERT_TRUE(response);
  expect_json_error(*response, 400);

  response = http_get(server.port(), "/99999999999999999999999");
  ASSERT_TRUE(response);
  expect_json_error(*response, 400);

  TcpClient client(server.port());
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

TEST(Http, MalformedRequestGets400ThenClose) {
  ServerProcess server;
  TcpClient client(server.port());
  client.send("GARBAGE\r\n\r\n");
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  expect_json_error(*response, 400);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed(60s));
  EXPECT_EQ(metric(server.port(), "loadlab_parse_errors_total"), 1);
}

TEST(Http, UnsupportedVersionGets505) {
  ServerProcess server;
  TcpClient client(server.port());
  client.send("GET /0 HTTP/2.0\r\nHost: x\r\n\r\n");
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->status == 505 || response->status == 400) << response->status;
  EXPECT_TRUE(client.wait_closed(60s));
}

TEST(Http, LongUrlGets414) {
  ServerProcess server({"--max-url-bytes", "64"});
  TcpClient client(server.port());
  client.send(get_request("/" + std::string(100, '1')));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  expect_json_error(*response, 414);
  EXPECT_TRUE(client.wait_closed(60s));
}

TEST(Http, LargeHeadersGet431) {
  ServerProcess server({"--max-header-bytes", "1024"});
  TcpClient client(server.port());
  client.send(get_request("/0", "X-Big: " + std::string(2000, 'a') + "\r\n"));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  expect_json_error(*response, 431);
  EXPECT_TRUE(client.wait_closed(60s));
}

TEST(Http, LargeBodyGets413ByLengthAndByChunks) {
  ServerProcess server({"--max-body-bytes", "100"});
  {
    TcpClient client(server.port());
    client.send("GET /0 HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
    const auto response = client.read_response();
    ASSERT_TRUE(response);
    expect_json_error(*response, 413);
  }
  {
    TcpClient client(server.port());
    client.send("GET /0 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" +
                std::string(100, 'b') + "\r\n10\r\n" + std::string(16, 'c') + "\r\n0\r\n\r\n");
    const auto response = client.read_response();
    ASSERT_TRUE(response);
    expect_json_error(*response, 413);
  }
}

TEST(Http, BodiesAreReadAndDiscarded) {
  ServerProcess server;
  TcpClient client(server.port());
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

TEST(Http, ExpectContinue) {
  ServerProcess server;
  TcpClient client(server.port());
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

TEST(Http, HeadHasHeadersButNoBody) {
  ServerProcess server;
  TcpClient client(server.port());
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

TEST(Http, Http10ClosesUnlessKeepAliveAsked) {
  ServerProcess server;
  {
    TcpClient client(server.port());
    client.send("GET /0 HTTP/1.0\r\n\r\n");
    const auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->header("connection"), "close");
    EXPECT_TRUE(client.wait_closed(60s));
  }
  {
    TcpClient client(server.port());
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

TEST(Http, ConnectionCloseIsHonoured) {
  ServerProcess server;
  TcpClient client(server.port());
  client.send(get_request("/0", "Connection: close\r\n") + get_request("/0"));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed(60s));  // the second request is never answered
}

// What follows an Upgrade request is not HTTP/1.1: it is answered, then the connection closes
// (with a shallow pipeline it used to stay open, unread and unanswered, for ever).
TEST(Http, AnUpgradeRequestIsTheConnectionsLast) {
  for (const char* pipeline : {"1", "32"}) {
    ServerProcess server({"--max-pipeline", pipeline});
    TcpClient client(server.port());
    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\nX");
    const auto response = client.read_response();
    ASSERT_TRUE(response) << pipeline;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("connection"), "close") << pipeline;
    EXPECT_TRUE(client.wait_closed(60s)) << pipeline;
  }
}

TEST(Http, ErrorBodiesAreValidJsonWhateverTheUrlHolds) {
  ServerProcess server;
  TcpClient client(server.port());
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

TEST(Http, OperationalEndpoints) {
  ServerProcess server;
  auto response = http_get(server.port(), "/healthz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  response = http_get(server.port(), "/readyz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  http_get(server.port(), "/7");
  // The /7 is counted once its write has completed, on its own loop's thread, which may be a
  // moment after the client has read it: poll briefly rather than race that.
  EXPECT_TRUE(eventually([&] {
    return metric(server.port(), R"(loadlab_http_requests_total{route="delay",code="200"})") == 1;
  }));
  response = http_get(server.port(), "/metrics");
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

TEST(Http, ListensOnIpv6Loopback) {
  ServerProcess server({"--host", "::1"});
  const auto result = run_command(
      {"curl", "-s", "-g", "http://[::1]:" + std::to_string(server.port()) + "/healthz"}, 10s);
  if (result.exit_code == 127) GTEST_SKIP() << "curl not installed";
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("ok"), std::string::npos);
}

}  // namespace
}  // namespace loadlab::test
