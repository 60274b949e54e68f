#include "common/busy_poll.h"

#include <poll.h>

#include <algorithm>

namespace loadlab {

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
  // looking at it neither takes the events nor runs a callback.
  pollfd backend{uv_backend_fd(loop), POLLIN, 0};
  while (uv_run(loop, UV_RUN_NOWAIT) != 0) {
    const int timeout_ms = uv_backend_timeout(loop);  // 0: callbacks are due now
    if (timeout_ms == 0) continue;
    std::uint64_t spin_ns = window.window_ns();
    if (timeout_ms > 0)
      spin_ns = std::min(spin_ns, static_cast<std::uint64_t>(timeout_ms) * 1'000'000);
    const std::uint64_t spin_start = uv_hrtime();
    std::uint64_t now = spin_start;
    bool found = false;
    while (spin_ns > 0 && !found) {
      found = poll(&backend, 1, 0) > 0;
      now = uv_hrtime();
      if (now - spin_start >= spin_ns) break;
    }
    stats.spin_ns += now - spin_start;
    if (found) {
      ++stats.spins_found;
      continue;
    }
    poll(&backend, 1, timeout_ms);  // EINTR or not, the next uv_run looks at what is due
    ++stats.sleeps;
    window.waited(now - spin_start, uv_hrtime() - now);
  }
  return stats;
}

}  // namespace loadlab
