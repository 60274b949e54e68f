// The /status handler: the weighted choice (seeded: deterministic; weight 0: never), its body
// and Retry-After.
#include "server/handlers/status.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <map>
#include <memory>

#include "server/config.h"
#include "server/loop_context.h"
#include "server/shared_state.h"
#include "tests/server/handlers/handler_loop.h"

namespace loadlab::server {
namespace {

Route route_for(std::string_view target) {
  const RouteResult result = route_request("GET", target, RouterLimits{60000});
  EXPECT_TRUE(std::holds_alternative<Route>(result)) << target;
  return std::holds_alternative<Route>(result) ? std::get<Route>(result)
                                               : Route{RouteKind::kStatus};
}

TEST(StatusChoice, SameSeedSameStatus) {
  const Route route = route_for("/status/200:1,500:1,503:1,429:1");
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    SplitMix64 a(seed);
    SplitMix64 b(seed);
    EXPECT_EQ(choose_status(route, a), choose_status(route, b)) << seed;
  }
}

// Fixed seeds: the outcome is the same on every run, so this cannot flake.
TEST(StatusChoice, FollowsTheWeightsAndNeverPicksWeightZero) {
  const Route route = route_for("/status/200:6,500:0,503:3,429:1");
  std::map<int, int> counts;
  for (std::uint64_t seed = 0; seed < 10000; ++seed) {
    SplitMix64 random(seed);
    ++counts[choose_status(route, random)];
  }
  EXPECT_EQ(counts.count(500), 0u);
  EXPECT_EQ(counts.size(), 3u);
  // Generous bounds around 6000, 3000 and 1000.
  EXPECT_GT(counts[200], 5000);
  EXPECT_GT(counts[503], 2000);
  EXPECT_GT(counts[429], 500);
  EXPECT_LT(counts[429], 1500);
}

struct StatusHandlerTest : ::testing::Test, HandlerLoop {
  Response handle(StatusHandler& handler, std::string_view target) {
    const Route route = route_for(target);
    const Reply reply = handler.handle(Request{ExchangeRef{1, 0}, route, "GET", target, 0});
    EXPECT_TRUE(reply.now.has_value());
    return reply.now ? *reply.now : Response{};
  }
};

TEST_F(StatusHandlerTest, AnswersAtOnceWithTheStatusAndRetryAfter) {
  StatusHandler handler(*loop);
  Response response = handle(handler, "/status/418");
  EXPECT_EQ(response.status, 418);
  EXPECT_EQ(response.body, "{\"status\":418,\"reason\":\"I'm a teapot\"}\n");
  EXPECT_EQ(response.extra_headers, "");
  response = handle(handler, "/status/503?retry_after=7");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.extra_headers, "Retry-After: 7\r\n");
}

TEST_F(StatusHandlerTest, UnseededDrawsUseTheLoopsGeneratorAndOnlyListedCodes) {
  StatusHandler handler(*loop);
  std::map<int, int> counts;
  for (int i = 0; i < 2000; ++i) ++counts[handle(handler, "/status/201:1,202:0,203:1").status];
  EXPECT_EQ(counts.count(202), 0u);
  // Each of the two is missed with odds 2^-2000.
  EXPECT_GT(counts[201], 0);
  EXPECT_GT(counts[203], 0);
}

}  // namespace
}  // namespace loadlab::server
