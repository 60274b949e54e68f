#include "common/server_timing.h"

#include <gtest/gtest.h>

namespace loadlab {
namespace {

TEST(ServerTiming, ParsesMetricsWithDurations) {
  const auto metrics = parse_server_timing(
      "queue;dur=0.25, compute;desc=\"x\";dur=3.5,cache,miss;dur=bad, total;dur=\"7\"");
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics[0].name, "queue");
  EXPECT_DOUBLE_EQ(metrics[0].duration_ms, 0.25);
  EXPECT_EQ(metrics[1].name, "compute");
  EXPECT_DOUBLE_EQ(metrics[1].duration_ms, 3.5);
  EXPECT_EQ(metrics[2].name, "total");
  EXPECT_TRUE(parse_server_timing("").empty());
}

TEST(ServerTiming, NamesMustBeTokensAndDurationsFinite) {
  // A name is a JSON key and an HTML label later: bytes that are not a token are refused.
  EXPECT_TRUE(parse_server_timing("db\xff;dur=1.5").empty());
  EXPECT_TRUE(parse_server_timing("a b;dur=1").empty());
  EXPECT_TRUE(parse_server_timing("x;dur=nan, y;dur=inf, z;dur=-1").empty());
  const auto metrics = parse_server_timing("cache-hit.v2;dur=1");
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].name, "cache-hit.v2");
}

}  // namespace
}  // namespace loadlab
