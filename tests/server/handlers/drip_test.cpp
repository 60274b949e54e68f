#include "server/handlers/drip.h"

#include <gtest/gtest.h>

#include <variant>

#include "server/handlers/fault.h"
#include "server/handlers/stream.h"
#include "server/router.h"

namespace loadlab::server {
namespace {

TEST(DripHandler, PiecesFallDueEvenlyAndTheLastAtTheEnd) {
  // 4 pieces over 1000 ns: at 250, 500, 750 and 1000.
  EXPECT_EQ(pieces_due(4, 1000, 0), 0u);
  EXPECT_EQ(pieces_due(4, 1000, 249), 0u);
  EXPECT_EQ(pieces_due(4, 1000, 250), 1u);
  EXPECT_EQ(pieces_due(4, 1000, 999), 3u);
  EXPECT_EQ(pieces_due(4, 1000, 1000), 4u);
  EXPECT_EQ(pieces_due(4, 1000, 5000), 4u);
  EXPECT_EQ(pieces_due(4, 0, 0), 4u);  // no duration: all at once
  for (std::uint64_t sent = 0; sent < 4; ++sent) {
    const std::uint64_t next = next_piece_ns(4, 1000, sent);
    EXPECT_EQ(pieces_due(4, 1000, next), sent + 1);
    EXPECT_EQ(pieces_due(4, 1000, next - 1), sent);
  }
  // No overflow for the largest bodies over the longest durations.
  const std::uint64_t day_ns = 86'400'000ull * 1'000'000;
  EXPECT_EQ(pieces_due(1ull << 30, day_ns, day_ns / 2), 1ull << 29);
}

TEST(DripHandler, ManyDripsGroupTheirBytesIntoWritesOnAGridEndingAtTheDuration) {
  EXPECT_EQ(drip_gap_ns(0), 0u);
  EXPECT_EQ(drip_gap_ns(5000), 100'000'000u);
  // Without a gap, each piece is written when it falls due.
  for (std::uint64_t sent = 0; sent < 4; ++sent) {
    EXPECT_EQ(next_write_ns(4, 1000, sent, 0), next_piece_ns(4, 1000, sent));
  }
  // 1000 bytes over 10 s (one every 10 ms), writes 100 ms apart: 100 writes of 10 bytes, each
  // on the grid that ends at 10 s, no byte later than the gap, the last at the end.
  const std::uint64_t total = 1000, duration = 10'000'000'000, gap = 100'000'000;
  std::uint64_t sent = 0, writes = 0, last_write = 0;
  while (sent < total) {
    const std::uint64_t due = next_piece_ns(total, duration, sent);
    const std::uint64_t write = next_write_ns(total, duration, sent, gap);
    EXPECT_GE(write, due);
    EXPECT_LT(write - due, gap);
    EXPECT_EQ((duration - write) % gap, 0u) << write;
    const std::uint64_t now_due = pieces_due(total, duration, write);
    ASSERT_GT(now_due, sent);
    EXPECT_GE(write - last_write, gap);
    sent = now_due;
    last_write = write;
    ++writes;
  }
  EXPECT_EQ(writes, 100u);
  EXPECT_EQ(last_write, duration);
  // A gap longer than the pieces' spacing never delays a piece past the duration, and a gap
  // shorter than it changes nothing.
  EXPECT_EQ(next_write_ns(3, 900, 2, 10'000), 900u);
  EXPECT_EQ(next_write_ns(3, 900, 0, 10'000), 900u);
  EXPECT_EQ(next_write_ns(4, 1000, 0, 50), 250u);
}

TEST(DripHandler, RouteParameters) {
  const RouterLimits limits{5000, 1000};
  const auto route =
      std::get<Route>(parse_drip_route("", "bytes=7&duration=300&delay=20&chunked", limits));
  EXPECT_EQ(route.kind, RouteKind::kDrip);
  EXPECT_EQ(route.body.bytes, 7u);
  EXPECT_EQ(route.body.duration_ms, 300u);
  EXPECT_EQ(route.body.wait_ms, 20u);
  EXPECT_NE(route.body.chunk, 0u);
  const auto defaults = std::get<Route>(parse_drip_route("", "", limits));
  EXPECT_EQ(defaults.body.bytes, 10u);
  EXPECT_EQ(defaults.body.duration_ms, 2000u);
  EXPECT_EQ(defaults.body.wait_ms, 0u);
  EXPECT_EQ(defaults.body.chunk, 0u);
  for (const char* query : {"bytes=1001", "duration=5001", "delay=5001", "chunked=2", "x=1"}) {
    EXPECT_TRUE(std::holds_alternative<HttpError>(parse_drip_route("", query, limits))) << query;
  }
}

TEST(StreamHandler, RouteParameters) {
  const RouterLimits limits{5000, 1000};
  const auto route = std::get<Route>(parse_stream_route("6", "delay=1000", limits));
  EXPECT_EQ(route.number, 6u);
  EXPECT_EQ(route.body.wait_ms, 1000u);
  EXPECT_TRUE(std::holds_alternative<HttpError>(parse_stream_route("7", "delay=1000", limits)));
  EXPECT_TRUE(std::holds_alternative<HttpError>(parse_stream_route("10001", "", limits)));
  EXPECT_TRUE(std::holds_alternative<Route>(parse_stream_route("10000", "", limits)));
}

TEST(FaultHandler, RouteParameters) {
  const RouterLimits limits{5000, 1000};
  for (std::size_t kind = 0; kind < kFaultKinds; ++kind) {
    const auto route = std::get<Route>(parse_fault_route(kFaultNames[kind], "", limits));
    EXPECT_EQ(route.body.fault, static_cast<FaultKind>(kind));
  }
  const auto truncate = std::get<Route>(parse_fault_route("truncate", "bytes=10&after=3", limits));
  EXPECT_EQ(truncate.body.bytes, 10u);
  EXPECT_EQ(truncate.body.wait_ms, 3u);
  EXPECT_EQ(std::get<Route>(parse_fault_route("truncate", "", limits)).body.bytes, 1000u);
  EXPECT_EQ(std::get<HttpError>(parse_fault_route("nope", "", limits)).status, 404);
  EXPECT_EQ(std::get<HttpError>(parse_fault_route("hang", "after=1", limits)).status, 400);
  EXPECT_EQ(std::get<HttpError>(parse_fault_route("truncate", "bytes=1001", limits)).status, 400);
}

}  // namespace
}  // namespace loadlab::server
