// The /anything echo: what it reports of a request, and that no byte a client sends (not
// UTF-8, control characters) can make it throw.
#include "server/handlers/anything.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "server/config.h"
#include "server/loop_context.h"
#include "server/shared_state.h"
#include "tests/server/handlers/handler_loop.h"

namespace loadlab::server {
namespace {

struct AnythingHandlerTest : ::testing::Test, HandlerLoop {
  nlohmann::json echo(std::string_view method, std::string_view target, std::string_view headers,
                      std::uint64_t body_bytes = 0) {
    AnythingHandler handler(*loop);
    const Route route{RouteKind::kAnything};
    const Reply reply =
        handler.handle(Request{ExchangeRef{1, 0}, route, method, target, 0, body_bytes, headers});
    EXPECT_TRUE(reply.now.has_value());
    if (!reply.now) return {};
    EXPECT_EQ(reply.now->status, 200);
    return nlohmann::json::parse(reply.now->body);
  }
};

TEST_F(AnythingHandlerTest, EchoesMethodTargetQueryHeadersAndBodyLength) {
  const auto body = echo("PUT", "/anything/a/b?x=1&x=2&y=%20z#frag",
                         "Host:example.test\r\nX-Twice:one\r\nX-Twice:two\r\nX-Empty:\r\n", 42);
  EXPECT_EQ(body["method"], "PUT");
  EXPECT_EQ(body["target"], "/anything/a/b?x=1&x=2&y=%20z#frag");
  EXPECT_EQ(body["path"], "/anything/a/b");
  EXPECT_EQ(body["query"], "x=1&x=2&y=%20z");
  EXPECT_EQ(body["args"]["x"], nlohmann::json::array({"1", "2"}));
  EXPECT_EQ(body["args"]["y"], " z");
  EXPECT_EQ(body["headers"]["Host"], "example.test");
  EXPECT_EQ(body["headers"]["X-Twice"], nlohmann::json::array({"one", "two"}));
  EXPECT_EQ(body["headers"]["X-Empty"], "");
  EXPECT_EQ(body["body_bytes"], 42);
}

TEST_F(AnythingHandlerTest, BytesThatAreNotUtf8AreReplacedNotThrown) {
  const auto body = echo("GET", "/anything?v=%FF%FE", "X-Bin:\xff\xfe\x80 ok\r\n\xc3\x28:v\r\n");
  EXPECT_EQ(body["args"]["v"], "\xEF\xBF\xBD\xEF\xBF\xBD");  // two U+FFFD
  EXPECT_TRUE(body["headers"]["X-Bin"].get<std::string>().ends_with(" ok"));
}

TEST_F(AnythingHandlerTest, AbsoluteFormTargetHasItsPath) {
  const auto body = echo("GET", "http://example.test:8080/anything/x?q", "");
  EXPECT_EQ(body["path"], "/anything/x");
  EXPECT_EQ(body["query"], "q");
  EXPECT_TRUE(body["headers"].empty());
}

}  // namespace
}  // namespace loadlab::server
