// The delay handler on a real loop: its answers go through LoopContext::complete(), which
// drops them here (no connection has the id), so these tests watch the handler's own state.
#include "server/handlers/delay.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <memory>
#include <set>

#include "server/config.h"
#include "server/loop_context.h"
#include "server/shared_state.h"
#include "tests/server/handlers/handler_loop.h"

namespace loadlab::server {
namespace {

struct LoopFixture : ::testing::Test, HandlerLoop {
  Reply handle(DelayHandler& handler, std::uint64_t delay_ms, std::uint64_t seq) {
    const Route route{RouteKind::kDelay, delay_ms};
    return handler.handle(Request{ExchangeRef{42, seq}, route, "GET", "/", uv_hrtime()});
  }
  Reply handle(DelayHandler& handler, const Route& route, std::uint64_t body_bytes = 0) {
    return handler.handle(Request{ExchangeRef{42, 0}, route, "POST", "/", uv_hrtime(), body_bytes});
  }
  bool loop_alive() { return uv_loop_alive(loop->loop()) != 0; }
};

using DelayHandlerTest = LoopFixture;

TEST_F(DelayHandlerTest, ZeroAnswersAtOnceWithServerTiming) {
  DelayHandler handler(*loop);
  const Reply reply = handle(handler, 0, 0);
  ASSERT_TRUE(reply.now.has_value());
  EXPECT_EQ(reply.now->status, 200);
  EXPECT_EQ(reply.now->body,
            "{\"delay_ms\":0,\"jitter_ms\":0,\"delay_used_ms\":0,\"waited_ms\":0.000,\"body_"
            "bytes\":0}\n");
  EXPECT_EQ(reply.now->extra_headers, "Server-Timing: delay;dur=0.000\r\n");
  EXPECT_EQ(handler.waiting(), 0u);
  EXPECT_FALSE(loop_alive());
}

TEST_F(DelayHandlerTest, KeepsTheRequestUntilItsTimerFires) {
  DelayHandler handler(*loop);
  const Reply reply = handle(handler, 1, 0);
  EXPECT_FALSE(reply.now.has_value());
  EXPECT_EQ(handler.waiting(), 1u);
  EXPECT_TRUE(loop_alive());             // the timer keeps a draining loop running for the answer
  uv_run(loop->loop(), UV_RUN_DEFAULT);  // returns once the timer has fired and answered
  EXPECT_EQ(handler.waiting(), 0u);
}

TEST_F(DelayHandlerTest, CancelStopsTheTimerAndFreesItsSlot) {
  DelayHandler handler(*loop);
  const Reply first = handle(handler, 60000, 0);
  const Reply second = handle(handler, 60000, 1);
  EXPECT_NE(first.ticket, second.ticket);
  EXPECT_EQ(handler.waiting(), 2u);
  handler.cancel(ExchangeRef{42, 0}, first.ticket);
  handler.cancel(ExchangeRef{42, 1}, second.ticket);
  EXPECT_EQ(handler.waiting(), 0u);
  EXPECT_FALSE(loop_alive());  // no timer left running for a client that has gone
  // The slots are reused: a warm loop allocates no timer per request.
  const Reply third = handle(handler, 60000, 2);
  EXPECT_TRUE(third.ticket == first.ticket || third.ticket == second.ticket);
  handler.cancel(ExchangeRef{42, 2}, third.ticket);
}

// A cancel whose ticket is not (or no longer) its request's must not free another request's
// slot: two requests would then share one timer, and one of them would never be answered.
TEST_F(DelayHandlerTest, CancelWithAnotherRequestsTicketChangesNothing) {
  DelayHandler handler(*loop);
  const Reply first = handle(handler, 60'000, 0);
  handler.cancel(ExchangeRef{42, 0}, first.ticket);
  const Reply second = handle(handler, 60'000, 1);  // reuses the freed slot
  ASSERT_EQ(second.ticket, first.ticket);
  handler.cancel(ExchangeRef{42, 0}, first.ticket);  // the first request's stale ticket
  handler.cancel(ExchangeRef{7, 1}, second.ticket);  // another connection's request
  handler.cancel(ExchangeRef{42, 1}, 1'000'000);     // a ticket never handed out
  EXPECT_EQ(handler.waiting(), 1u);
  EXPECT_TRUE(loop_alive());
  handler.cancel(ExchangeRef{42, 1}, second.ticket);
  EXPECT_EQ(handler.waiting(), 0u);
}

TEST_F(DelayHandlerTest, ReportsBodyBytesAndAnswersTheAskedStatus) {
  DelayHandler handler(*loop);
  Route route{RouteKind::kDelay, 0};
  route.status = 503;
  const Reply reply = handle(handler, route, 12345);
  ASSERT_TRUE(reply.now.has_value());
  EXPECT_EQ(reply.now->status, 503);
  EXPECT_NE(reply.now->body.find("\"body_bytes\":12345"), std::string_view::npos);
}

// A seeded draw is the same every time (every loop, run and machine), within
// [max(0, N-J), N+J], and every value of the range can be drawn.
TEST(DelayDraw, SeededDrawsAreDeterministicAndCoverTheRange) {
  for (const auto& [n, j] : {std::pair<std::uint64_t, std::uint64_t>{5, 10}, {100, 10}, {0, 3}}) {
    const std::uint64_t low = n > j ? n - j : 0;
    std::set<std::uint64_t> seen;
    for (std::uint64_t seed = 0; seed < 2000; ++seed) {
      SplitMix64 a(seed);
      SplitMix64 b(seed);
      const std::uint64_t draw = draw_delay(n, j, a);
      EXPECT_EQ(draw, draw_delay(n, j, b));
      EXPECT_GE(draw, low);
      EXPECT_LE(draw, n + j);
      seen.insert(draw);
    }
    // 2000 seeds over at most 21 values: each value is missed with odds of about e^-95; and
    // the seeds are fixed, so the outcome is the same on every run.
    EXPECT_EQ(seen.size(), n + j - low + 1);
  }
  SplitMix64 random(1);
  EXPECT_EQ(draw_delay(250, 0, random), 250u);
}

}  // namespace
}  // namespace loadlab::server
