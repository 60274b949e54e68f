// The server as a target for HTTP client authors, over loopback against the real binary:
// /N with a body, jitter and a status; /status with weights, seeds and Retry-After; the
// /anything echo; HEAD everywhere; every bad parameter a 400 that names it; route labels.
// No timing is asserted: what a request was given is read from the JSON it returns.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using nlohmann::json;

std::string request(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& extra_headers = "") {
  std::string text = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
  if (!body.empty()) text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return text + "\r\n" + body;
}

// One request on `client`'s connection, and its answer (nullopt: none within the deadline).
std::optional<HttpResponse> ask(TcpClient& client, const std::string& bytes, bool head = false) {
  client.send(bytes);
  return client.read_response(std::chrono::seconds(60), head);
}

json body_of(const HttpResponse& response) { return json::parse(response.body); }

TEST(ClientTarget, DelayAnswersEveryMethodWithABodyAndReportsItsLength) {
  ServerProcess server({"--threads", "1", "--workers", "1"});
  TcpClient client(server.port());
  const std::string payload(1000, 'x');
  for (const std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    const auto response = ask(client, request(method, "/1", payload));
    ASSERT_TRUE(response) << method;
    EXPECT_EQ(response->status, 200) << method;
    EXPECT_EQ(body_of(*response)["body_bytes"], 1000) << method;
    EXPECT_EQ(body_of(*response)["delay_ms"], 1) << method;
  }
  // A chunked body counts its data, not its framing.
  const auto chunked = ask(client,
                           "POST /0 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(body_of(*chunked)["body_bytes"], 11);
  const auto get = ask(client, request("GET", "/0"));
  ASSERT_TRUE(get);
  EXPECT_EQ(body_of(*get)["body_bytes"], 0);
}

TEST(ClientTarget, ABodyOverTheLimitIs413) {
  ServerProcess server({"--threads", "1", "--workers", "1", "--max-body-bytes", "100"});
  TcpClient client(server.port());
  const auto response = ask(client, request("PUT", "/0", std::string(101, 'x')));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
}

// HEAD: the GET's headers, Content-Length included, and no body: the next response on the
// connection would not parse if one had been sent.
TEST(ClientTarget, EveryEndpointAnswersHeadWithoutABody) {
  ServerProcess server({"--threads", "1", "--workers", "1"});
  TcpClient client(server.port());
  const std::pair<std::string, int> cases[] = {{"/3?jitter=2&seed=1", 200},
                                               {"/status/418", 418},
                                               {"/anything/x", 200},
                                               {"/healthz", 200},
                                               {"/metrics", 200}};
  for (const auto& [target, status] : cases) {
    const auto head = ask(client, request("HEAD", target), /*head=*/true);
    ASSERT_TRUE(head) << target;
    EXPECT_EQ(head->status, status) << target;
    EXPECT_TRUE(head->body.empty());
    EXPECT_FALSE(head->header("content-length").empty()) << target;
    const auto next = ask(client, request("GET", "/0"));
    ASSERT_TRUE(next) << target;
    EXPECT_EQ(next->status, 200) << target;
    EXPECT_EQ(body_of(*next)["delay_ms"], 0);
  }
}

TEST(ClientTarget, JitterDelayUsedIsWithinTheRange) {
  ServerProcess server({"--threads", "1", "--workers", "1"});
  TcpClient client(server.port());
  for (int i = 0; i < 20; ++i) {
    const auto response = ask(client, request("GET", "/30?jitter=20"));
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
    const json body = body_of(*response);
    EXPECT_EQ(body["delay_ms"], 30);
    EXPECT_EQ(body["jitter_ms"], 20);
    const auto used = body["delay_used_ms"].get<std::uint64_t>();
    EXPECT_GE(used, 10u);
    EXPECT_LE(used, 50u);
    // Never answered before the delay it drew.
    EXPECT_GE(body["waited_ms"].get<double>(), static_cast<double>(used));
    EXPECT_TRUE(response->header("server-timing").starts_with("delay;dur="))
        << response->header("server-timing");
  }
  // J > N: the range starts at 0.
  for (int i = 0; i < 10; ++i) {
    const auto response = ask(client, request("GET", "/2?jitter=5"));
    ASSERT_TRUE(response);
    EXPECT_LE(body_of(*response)["delay_used_ms"].get<std::uint64_t>(), 7u);
  }
}

TEST(ClientTarget, SeededJitterDrawsTheSameDelayEveryTime) {
  ServerProcess server({"--threads", "2", "--workers", "1"});
  std::set<std::uint64_t> used;
  for (int i = 0; i < 5; ++i) {  // fresh connections: either loop may serve each
    const auto response = http_get(server.port(), "/40?jitter=40&seed=12345");
    ASSERT_TRUE(response);
    used.insert(body_of(*response)["delay_used_ms"].get<std::uint64_t>());
  }
  EXPECT_EQ(used.size(), 1u);
}

TEST(ClientTarget, StatusAfterTheDelay) {
  ServerProcess server({"--threads", "1", "--workers", "1"});
  TcpClient client(server.port());
  const auto teapot = ask(client, request("GET", "/5?status=418"));
  ASSERT_TRUE(teapot);
  EXPECT_EQ(teapot->status, 418);
  EXPECT_EQ(body_of(*teapot)["delay_used_ms"], 5);
  EXPECT_TRUE(teapot->header("server-timing").starts_with("delay;dur="));
  // 204 and 304: no body and no Content-Length; the connection goes on.
  for (const std::string target :
       {"/1?status=204", "/1?status=304", "/status/204", "/status/304"}) {
    const auto response = ask(client, request("GET", target));
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, std::stoi(target.substr(target.size() - 3))) << target;
    EXPECT_EQ(response->header("content-length"), "") << target;
    EXPECT_TRUE(response->body.empty()) << target;
    const auto next = ask(client, request("GET", "/0"));
    ASSERT_TRUE(next) << target;
    EXPECT_EQ(next->status, 200) << target;
  }
}

TEST(ClientTarget, StatusEndpointWithRetryAfter) {
  ServerProcess server({"--threads", "1", "--workers", "1"});
  auto response = http_get(server.port(), "/status/503?retry_after=3");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->header("retry-after"), "3");
  EXPECT_EQ(body_of(*response)["status"], 503);
  response = http_get(server.port(), "/status/429");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->header("retry-after"), "");
}

TEST(ClientTarget, WeightedStatusSeededIsFixedAndUnseededCoversEveryWeightAboveZero) {
  ServerProcess server({"--threads", "2", "--workers", "1"});
  std::set<int> seeded;
  for (int i = 0; i < 10; ++i) {
    const auto response = http_get(server.port(), "/status/200:1,500:1,503:1,429:1?seed=7");
    ASSERT_TRUE(response);
    seeded.insert(response->status);
  }
  EXPECT_EQ(seeded.size(), 1u);

  TcpClient client(server.port());
  std::map<int, int> counts;
  for (int i = 0; i < 300; ++i) {
    const auto response = ask(client, request("GET", "/status/200:1,500:0,503:2"));
    ASSERT_TRUE(response);
    ++counts[response->status];
  }
  // 300 draws: 200 is missed with odds (2/3)^300 < 1e-52; 500 has weight 0, never.
  EXPECT_GT(counts[200], 0);
  EXPECT_GT(counts[503], 0);
  EXPECT_EQ(counts.count(500), 0u);
  EXPECT_EQ(counts.size(), 2u);
}

TEST(ClientTarget, AnythingEchoesTheRequest) {
  ServerProcess server({"--threads", "1", "--workers", "1"});
  TcpClient client(server.port());
  const auto response = ask(client, request("PROPFIND", "/anything/deep/path?a=1&a=2&b=%20c",
                                            "twelve bytes", "X-Test: yes\r\nX-Bin: \xff\xfe\r\n"));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json body = body_of(*response);
  EXPECT_EQ(body["method"], "PROPFIND");
  EXPECT_EQ(body["path"], "/anything/deep/path");
  EXPECT_EQ(body["query"], "a=1&a=2&b=%20c");
  EXPECT_EQ(body["args"]["a"], json::array({"1", "2"}));
  EXPECT_EQ(body["args"]["b"], " c");
  EXPECT_EQ(body["headers"]["X-Test"], "yes");
  EXPECT_EQ(body["headers"]["Host"], "127.0.0.1");
  EXPECT_EQ(body["headers"]["X-Bin"], "\xEF\xBF\xBD\xEF\xBF\xBD");  // not UTF-8: replaced
  EXPECT_EQ(body["body_bytes"], 12);
  // The connection keeps serving; a request to another route echoes no headers.
  const auto plain = ask(client, request("GET", "/anything"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(body_of(*plain)["headers"].size(), 1u);  // Host only
}

TEST(ClientTarget, BadParametersAre400NamingTheParameterAndItsBounds) {
  ServerProcess server({"--threads", "1", "--workers", "1", "--max-delay-ms", "1000"});
  const struct {
    const char* target;
    const char* names;
  } cases[] = {
      {"/10?jiter=5", "'jiter'"},
      {"/10?jitter=x", "jitter must be a whole number from 0 to 1000"},
      {"/10?jitter=1001", "jitter must be a whole number from 0 to 1000"},
      {"/900?jitter=200", "--max-delay-ms"},
      {"/10?status=100", "status must be a whole number from 200 to 599"},
      {"/10?status=600", "status must be a whole number from 200 to 599"},
      {"/10?seed=-1", "seed"},
      {"/status/99", "200 to 599"},
      {"/status/200:-1", "weight"},
      {"/status/200:0", "above 0"},
      {"/status/503?retry_after=86401", "retry_after must be a whole number from 0 to 86400"},
      {"/status/503?retry=1", "'retry'"},
      {"/healthz?verbose=1", "'verbose'"},
      {"/prime/7?x=1", "'x'"},
      {"/anything?a=%zz", "percent-escape"},
  };
  for (const auto& c : cases) {
    const auto response = http_get(server.port(), c.target);
    ASSERT_TRUE(response) << c.target;
    EXPECT_EQ(response->status, 400) << c.target;
    const std::string message = body_of(*response)["error"]["message"];
    EXPECT_NE(message.find(c.names), std::string::npos) << c.target << ": " << message;
  }
}

TEST(ClientTarget, NewRoutesHaveTheirLabelInMetrics) {
  ServerProcess server({"--threads", "1", "--workers", "1"});
  ASSERT_TRUE(http_get(server.port(), "/status/418"));
  ASSERT_TRUE(http_get(server.port(), "/status/503"));
  ASSERT_TRUE(http_get(server.port(), "/anything"));
  ASSERT_TRUE(http_get(server.port(), "/1?status=429"));
  EXPECT_EQ(metric(server.port(), R"(loadlab_http_requests_total{route="status",code="418"})"), 1);
  EXPECT_EQ(metric(server.port(), R"(loadlab_http_requests_total{route="status",code="503"})"), 1);
  EXPECT_EQ(metric(server.port(), R"(loadlab_http_requests_total{route="anything",code="200"})"),
            1);
  EXPECT_EQ(metric(server.port(), R"(loadlab_http_requests_total{route="delay",code="429"})"), 1);
  EXPECT_GE(
      metric(server.port(), R"(loadlab_http_request_duration_seconds_count{route="anything"})"), 1);
}

}  // namespace
}  // namespace loadlab::test
