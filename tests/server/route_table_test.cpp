#include "server/route_table.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <set>

#include "server/config.h"
#include "server/handlers/handler.h"
#include "server/loop_context.h"
#include "server/router.h"
#include "server/shared_state.h"

namespace loadlab::server {
namespace {

// The names are checked at compile time (route_table.h); these are the label values
// dashboards already use, which must not change by accident.
TEST(RouteTable, MetricNamesAreTheLabelsInUse) {
  EXPECT_EQ(route_name(RouteKind::kDelay), "delay");
  EXPECT_EQ(route_name(RouteKind::kPrime), "prime");
  EXPECT_EQ(route_name(RouteKind::kHealthz), "healthz");
  EXPECT_EQ(route_name(RouteKind::kReadyz), "readyz");
  EXPECT_EQ(route_name(RouteKind::kMetrics), "metrics");
  EXPECT_EQ(route_name(RouteKind::kStatus), "status");
  EXPECT_EQ(route_name(RouteKind::kAnything), "anything");
  EXPECT_EQ(route_name(RouteKind::kOther), "other");
}

TEST(RouteTable, EveryRouteHasAPathAndOnlyRoutesHaveOne) {
  std::set<RouteKind> with_path;
  for (const RoutePath& path : route_paths()) {
    EXPECT_NE(path.kind, RouteKind::kOther);
    EXPECT_FALSE(path.usage.empty());
    with_path.insert(path.kind);
  }
  EXPECT_EQ(with_path.size(), kRouteKinds - 1);  // all but kOther
}

TEST(RouteTable, EveryRouteHasAHandlerPerLoop) {
  ServerConfig config;
  config.threads = 1;
  SharedState shared(config);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  LoopContext loop(shared, 0, reinterpret_cast<const sockaddr*>(&address));
  for (std::size_t i = 0; i < kRouteKinds; ++i) {
    const auto kind = static_cast<RouteKind>(i);
    EXPECT_EQ(make_handler(kind, loop) == nullptr, kind == RouteKind::kOther) << route_name(kind);
  }
}

}  // namespace
}  // namespace loadlab::server
