#include "common/busy_poll.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>

#include "common/uv_handle.h"

namespace loadlab {
namespace {

constexpr std::uint64_t kUs = 1000;

TEST(BusyPollWindow, StartsAtNothingAndDoublesWhileWaitsAreShortUpToTheLimit) {
  BusyPollWindow window(50 * kUs);
  EXPECT_EQ(window.window_ns(), 0u);
  window.waited(0, 5 * kUs);
  EXPECT_EQ(window.window_ns(), BusyPollWindow::kStartNs);
  window.waited(10 * kUs, 5 * kUs);
  EXPECT_EQ(window.window_ns(), 20 * kUs);
  window.waited(20 * kUs, 30 * kUs);  // spin plus sleep exactly the limit: still short
  EXPECT_EQ(window.window_ns(), 40 * kUs);
  window.waited(40 * kUs, 1 * kUs);
  EXPECT_EQ(window.window_ns(), 50 * kUs);
  window.waited(50 * kUs, 0);
  EXPECT_EQ(window.window_ns(), 50 * kUs);
}

TEST(BusyPollWindow, LongWaitsHalveItAndBelowTheStartItIsNothing) {
  BusyPollWindow window(50 * kUs);
  for (int i = 0; i < 4; ++i) window.waited(0, 1 * kUs);
  ASSERT_EQ(window.window_ns(), 50 * kUs);
  window.waited(50 * kUs, 1);  // one nanosecond over
  EXPECT_EQ(window.window_ns(), 25 * kUs);
  window.waited(25 * kUs, 1'000'000);
  EXPECT_EQ(window.window_ns(), 12'500u);
  window.waited(12'500, 1'000'000);  // 6.25 us: below the start
  EXPECT_EQ(window.window_ns(), 0u);
  window.waited(0, 1'000'000'000);
  EXPECT_EQ(window.window_ns(), 0u);
}

TEST(BusyPollWindow, ALimitBelowTheStartIsTheWindow) {
  BusyPollWindow window(3 * kUs);
  window.waited(0, 2 * kUs);
  EXPECT_EQ(window.window_ns(), 3 * kUs);
  BusyPollWindow never(0);
  never.waited(0, 0);
  EXPECT_EQ(never.window_ns(), 0u);
}

// A loop driven by the loop alone (no other thread and no timer, so nothing depends on
// timing): reading a byte from a pipe the loop watches starts a check handle that, after that
// turn's poll, writes the next. The first byte is there from the start; the second is found by
// a sleep (the window is nothing yet) that, short, grows the window; the third, already there
// when the loop would sleep, by a spin.
struct PipeRelay {
  static constexpr int kBytes = 3;
  int fds[2] = {-1, -1};
  uv_check_t check{};
  uv_poll_t poll{};
  int bytes_read = 0;
  EventLoop loop;  // last: destroyed first, closing the handles above while they exist

  PipeRelay() {
    EXPECT_EQ(pipe(fds), 0);
    uv_check_init(loop.get(), &check);
    uv_poll_init(loop.get(), &poll, fds[0]);
    check.data = poll.data = this;
    EXPECT_EQ(write(fds[1], "x", 1), 1);
    uv_poll_start(&poll, UV_READABLE, [](uv_poll_t* p, int status, int) {
      auto* self = static_cast<PipeRelay*>(p->data);
      char byte = 0;
      EXPECT_EQ(status, 0);
      EXPECT_EQ(read(self->fds[0], &byte, 1), 1);
      if (++self->bytes_read < kBytes) {
        self->write_next();
        return;
      }
      uv_close(reinterpret_cast<uv_handle_t*>(&self->poll), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&self->check), nullptr);
    });
  }
  ~PipeRelay() {
    close(fds[0]);
    close(fds[1]);
  }
  void write_next() {
    uv_check_start(&check, [](uv_check_t* c) {
      EXPECT_EQ(write(static_cast<PipeRelay*>(c->data)->fds[1], "x", 1), 1);
      uv_check_stop(c);
    });
  }
};

TEST(RunBusyPolling, ASpinFindsAnEventBeforeTheLoopSleeps) {
  PipeRelay relay;
  // A limit no sleep under load could outlast: the first wait grows the window whatever the
  // machine is doing.
  const BusyPollStats stats = run_busy_polling(relay.loop.get(), 60'000'000'000);
  EXPECT_EQ(relay.bytes_read, PipeRelay::kBytes);
  EXPECT_EQ(stats.sleeps, 1u);
  EXPECT_EQ(stats.spins_found, 1u);
}

TEST(RunBusyPolling, AZeroLimitIsAPlainRunThatNeverSpins) {
  PipeRelay relay;
  const BusyPollStats stats = run_busy_polling(relay.loop.get(), 0);
  EXPECT_EQ(relay.bytes_read, PipeRelay::kBytes);
  EXPECT_EQ(stats.spin_ns, 0u);
  EXPECT_EQ(stats.spins_found, 0u);
}

TEST(RunBusyPolling, ALoopWithNothingToDoReturnsAtOnce) {
  EventLoop loop;
  const BusyPollStats stats = run_busy_polling(loop.get(), 50 * kUs);
  EXPECT_EQ(stats.sleeps, 0u);
  EXPECT_EQ(stats.spin_ns, 0u);
}

}  // namespace
}  // namespace loadlab
