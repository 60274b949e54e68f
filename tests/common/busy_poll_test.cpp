#include "common/busy_poll.h"

#include <gtest/gtest.h>
#include <sys/timerfd.h>
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
// sleep on the set before that would miss its descriptor's event. run_busy_polling relies on
// libuv's uv_backend_timeout being 0 while such a change is pending (libuv >= 1.44): this
// guards that contract. Reading the first pipe starts watching a second that already holds a
// byte; were it missed, a 10 s timer ends the loop and the test fails (not hangs).
TEST(RunBusyPolling, AWatcherStartedByACallbackIsSeenBeforeAnySleep) {
  struct Chain {
    int first[2] = {-1, -1};
    int second[2] = {-1, -1};
    uv_poll_t first_poll{};
    uv_poll_t second_poll{};
    uv_timer_t give_up{};
    bool second_read = false;
    EventLoop loop;
  } chain;
  ASSERT_EQ(pipe(chain.first), 0);
  ASSERT_EQ(pipe(chain.second), 0);
  ASSERT_EQ(write(chain.first[1], "x", 1), 1);
  ASSERT_EQ(write(chain.second[1], "y", 1), 1);
  uv_poll_init(chain.loop.get(), &chain.first_poll, chain.first[0]);
  uv_poll_init(chain.loop.get(), &chain.second_poll, chain.second[0]);
  uv_timer_init(chain.loop.get(), &chain.give_up);
  chain.first_poll.data = chain.second_poll.data = chain.give_up.data = &chain;
  uv_timer_start(
      &chain.give_up,
      [](uv_timer_t* t) {
        auto* self = static_cast<Chain*>(t->data);
        uv_close(reinterpret_cast<uv_handle_t*>(&self->second_poll), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
      },
      10'000, 0);
  uv_poll_start(&chain.first_poll, UV_READABLE, [](uv_poll_t* p, int, int) {
    auto* self = static_cast<Chain*>(p->data);
    uv_close(reinterpret_cast<uv_handle_t*>(p), nullptr);
    uv_poll_start(&self->second_poll, UV_READABLE, [](uv_poll_t* q, int, int) {
      auto* owner = static_cast<Chain*>(q->data);
      owner->second_read = true;
      uv_close(reinterpret_cast<uv_handle_t*>(q), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&owner->give_up), nullptr);
    });
  });
  run_busy_polling(chain.loop.get(), 50 * kUs);
  EXPECT_TRUE(chain.second_read);
  for (const int fd : {chain.first[0], chain.first[1], chain.second[0], chain.second[1]}) close(fd);
}

// The spin itself: a timerfd the loop watches is armed 1 ms ahead, round after round. The first
// waits are sleeps, each ended by the timerfd (I/O) within the limit, so the window doubles
// from 10 us; once it is past 1 ms, a spin outlasts the wait and finds the expiry. A round the
// scheduler stretches past the window only grows it further, so the outcome does not depend on
// timing; 30 rounds reach a window of seconds.
TEST(RunBusyPolling, OnceTheWindowOutlastsTheWaitsASpinFindsTheEvent) {
  struct Ticks {
    int fd = -1;
    uv_poll_t poll{};
    uv_check_t arm{};
    bool armed = false;
    int rounds = 0;
    EventLoop loop;
  } ticks;
  ticks.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  ASSERT_GE(ticks.fd, 0);
  uv_poll_init(ticks.loop.get(), &ticks.poll, ticks.fd);
  uv_check_init(ticks.loop.get(), &ticks.arm);
  ticks.poll.data = ticks.arm.data = &ticks;
  uv_check_start(&ticks.arm, [](uv_check_t* c) {
    auto* self = static_cast<Ticks*>(c->data);
    if (self->armed) return;
    const itimerspec in_1ms{{0, 0}, {0, 1'000'000}};
    EXPECT_EQ(timerfd_settime(self->fd, 0, &in_1ms, nullptr), 0);
    self->armed = true;
  });
  uv_poll_start(&ticks.poll, UV_READABLE, [](uv_poll_t* p, int, int) {
    auto* self = static_cast<Ticks*>(p->data);
    std::uint64_t expirations = 0;
    if (read(self->fd, &expirations, sizeof expirations) != sizeof expirations) return;
    self->armed = false;
    if (++self->rounds < 30) return;
    uv_close(reinterpret_cast<uv_handle_t*>(p), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->arm), nullptr);
  });
  const BusyPollStats stats = run_busy_polling(ticks.loop.get(), 60'000'000'000);
  EXPECT_EQ(ticks.rounds, 30);
  EXPECT_GE(stats.sleeps, 7u);  // 10, 20, ... 640 us: each of those windows ended in a sleep
  EXPECT_GE(stats.spins_found, 1u);
  EXPECT_GT(stats.spin_cpu_ns, 0u);
  close(ticks.fd);
}

}  // namespace
}  // namespace loadlab
