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

TEST(RunBusyPolling, AZeroLimitIsAPlainRun) {
  PipeRelay relay;
  run_busy_polling(relay.loop.get(), 0);
  EXPECT_EQ(relay.bytes_read, PipeRelay::kBytes);
}

TEST(RunBusyPolling, ALoopWithNothingToDoReturnsAtOnce) {
  EventLoop loop;
  const BusyPollStats stats = run_busy_polling(loop.get(), 50 * kUs);
  EXPECT_EQ(stats.sleeps, 0u);
  EXPECT_EQ(stats.spin_cpu_ns, 0u);
}

// A timer that fell due while a callback ran is run next, not after a sleep: the time to it is
// reckoned by the clock after the callbacks, not by the loop's time from before them. The
// callback holds the loop until the timer is overdue (by the clock, not by a guess of the
// machine's speed), so the outcome does not depend on timing.
TEST(RunBusyPolling, ATimerDueDuringACallbackRunsWithoutASleep) {
  struct Late {
    int fds[2] = {-1, -1};
    uv_timer_t timer{};
    uv_poll_t poll{};
    std::uint64_t timer_due_ns = 0;
    bool timer_ran = false;
    EventLoop loop;
  } late;
  ASSERT_EQ(pipe(late.fds), 0);
  ASSERT_EQ(write(late.fds[1], "x", 1), 1);
  uv_timer_init(late.loop.get(), &late.timer);
  uv_poll_init(late.loop.get(), &late.poll, late.fds[0]);
  late.timer.data = late.poll.data = &late;
  uv_update_time(late.loop.get());
  late.timer_due_ns = uv_hrtime() + 5'000'000;
  uv_timer_start(
      &late.timer,
      [](uv_timer_t* t) {
        static_cast<Late*>(t->data)->timer_ran = true;
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
      },
      5, 0);
  uv_poll_start(&late.poll, UV_READABLE, [](uv_poll_t* p, int, int) {
    const auto* self = static_cast<Late*>(p->data);
    while (uv_hrtime() < self->timer_due_ns + 2'000'000) {
    }
    uv_close(reinterpret_cast<uv_handle_t*>(p), nullptr);
  });
  const BusyPollStats stats = run_busy_polling(late.loop.get(), 50 * kUs);
  EXPECT_TRUE(late.timer_ran);
  EXPECT_EQ(stats.sleeps, 0u);
  close(late.fds[0]);
  close(late.fds[1]);
}

// A watcher started by a callback is in the loop's epoll set only after the next uv_run; a
// sleep on the set before that would miss its descriptor's event (here: for ever, the test's
// timeout). Reading the first pipe starts watching a second that already holds a byte.
TEST(RunBusyPolling, AWatcherStartedByACallbackIsSeenBeforeAnySleep) {
  struct Chain {
    int first[2] = {-1, -1};
    int second[2] = {-1, -1};
    uv_poll_t first_poll{};
    uv_poll_t second_poll{};
    bool second_read = false;
    EventLoop loop;
  } chain;
  ASSERT_EQ(pipe(chain.first), 0);
  ASSERT_EQ(pipe(chain.second), 0);
  ASSERT_EQ(write(chain.first[1], "x", 1), 1);
  ASSERT_EQ(write(chain.second[1], "y", 1), 1);
  uv_poll_init(chain.loop.get(), &chain.first_poll, chain.first[0]);
  uv_poll_init(chain.loop.get(), &chain.second_poll, chain.second[0]);
  chain.first_poll.data = chain.second_poll.data = &chain;
  uv_poll_start(&chain.first_poll, UV_READABLE, [](uv_poll_t* p, int, int) {
    auto* self = static_cast<Chain*>(p->data);
    uv_close(reinterpret_cast<uv_handle_t*>(p), nullptr);
    uv_poll_start(&self->second_poll, UV_READABLE, [](uv_poll_t* q, int, int) {
      static_cast<Chain*>(q->data)->second_read = true;
      uv_close(reinterpret_cast<uv_handle_t*>(q), nullptr);
    });
  });
  // A window from the first wait on: the limit is one no wait under load could outlast.
  run_busy_polling(chain.loop.get(), 60'000'000'000);
  EXPECT_TRUE(chain.second_read);
  for (const int fd : {chain.first[0], chain.first[1], chain.second[0], chain.second[1]}) close(fd);
}

}  // namespace
}  // namespace loadlab
