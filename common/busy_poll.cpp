#include "common/busy_poll.h"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cstdint>

namespace loadlab {
namespace {

// The calling thread's CPU time: what a spin cost, whatever the scheduler did meanwhile (a
// spin preempted halfway is wall time, not CPU time).
std::uint64_t thread_cpu_ns() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000 +
         static_cast<std::uint64_t>(now.tv_nsec);
}

// How long the loop may wait before its next timer is due, by the clock as it is now: the
// loop's own time was read before the callbacks of the pass that just ended, and a timer due
// meanwhile must not wait for a sleep. 0: callbacks are due now; -1: no timer.
int due_in_ms(uv_loop_t* loop) {
  uv_update_time(loop);
  return uv_backend_timeout(loop);
}

// A wait that a timer ended, not I/O, counts as a long one: no peer woke the loop, so spinning
// would have spared nobody anything, and a loop whose timers are always near (many /N delays in
// flight) must not spin from one to the next.
constexpr std::uint64_t kTimerCameFirst = UINT64_MAX / 2;

}  // namespace

void BusyPollWindow::waited(std::uint64_t spun_ns, std::uint64_t slept_ns) {
  if (spun_ns + slept_ns <= limit_ns_) {
    window_ns_ = std::min(limit_ns_, std::max(window_ns_ * 2, kStartNs));
  } else {
    window_ns_ /= 2;
    if (window_ns_ < kStartNs) window_ns_ = 0;
  }
}

BusyPollStats run_busy_polling(uv_loop_t* loop, std::uint64_t limit_ns) {
  BusyPollStats stats;
  if (limit_ns == 0) {
    uv_run(loop, UV_RUN_DEFAULT);
    return stats;
  }
  BusyPollWindow window(limit_ns);
  // The loop's epoll descriptor is readable while any of its watched descriptors has an event:
  // looking at it neither takes the events nor runs a callback. Watchers started or stopped by
  // the last callbacks are not in it yet, but then uv_backend_timeout is 0 (libuv >= 1.44,
  // which CMakeLists.txt requires) and the next uv_run registers them before any wait.
  pollfd backend{uv_backend_fd(loop), POLLIN, 0};
  const auto ready = [&backend] { return poll(&backend, 1, 0) > 0; };
  while (uv_run(loop, UV_RUN_NOWAIT) != 0) {
    int timeout_ms = due_in_ms(loop);
    if (timeout_ms == 0) continue;
    std::uint64_t spun_ns = 0;
    if (window.window_ns() > 0) {
      // Events that came while the callbacks ran need no spin: one look finds them (a system
      // call, not counted as spinning).
      bool found = ready();
      if (!found) {
        std::uint64_t spin_for = window.window_ns();
        if (timeout_ms > 0) spin_for = std::min(spin_for, std::uint64_t(timeout_ms) * 1'000'000);
        const std::uint64_t cpu_start = thread_cpu_ns();
        const std::uint64_t start = uv_hrtime();
        do {
          found = ready();
          spun_ns = uv_hrtime() - start;
        } while (!found && spun_ns < spin_for);
        stats.spin_cpu_ns += thread_cpu_ns() - cpu_start;
      }
      if (found) {
        ++stats.spins_found;
        continue;
      }
      timeout_ms = due_in_ms(loop);  // the spin took some of the time to the next timer
      if (timeout_ms == 0) {
        window.waited(spun_ns, kTimerCameFirst);
        continue;
      }
    }
    const std::uint64_t sleep_start = uv_hrtime();
    // EINTR or not, the next uv_run looks at what is due; 0 is the timeout: a timer came first.
    const bool io = poll(&backend, 1, timeout_ms) != 0;
    ++stats.sleeps;
    window.waited(spun_ns, io ? uv_hrtime() - sleep_start : kTimerCameFirst);
  }
  return stats;
}

}  // namespace loadlab
