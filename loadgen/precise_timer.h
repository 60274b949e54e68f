// A one-shot timer with nanosecond deadlines for the open-loop schedule. libuv's timers count
// whole milliseconds, which would start every request up to 1 ms after its slot and add that
// to every corrected latency; a timerfd watched by the loop fires within microseconds.
// Deadlines are uv_hrtime() values (both are CLOCK_MONOTONIC).
#pragma once

#include <uv.h>

#include <cstdint>

#include "common/uv_handle.h"

namespace loadlab::loadgen {

class PreciseTimer {
 public:
  explicit PreciseTimer(uv_loop_t* loop);  // throws std::runtime_error

  template <auto Method, typename Owner>
  void start_at(Owner* owner, std::uint64_t deadline_ns) {
    poll_.get()->data = owner;
    arm(deadline_ns);
    uv_poll_start(poll_.get(), UV_READABLE, [](uv_poll_t* poll, int status, int) {
      if (expired(poll, status)) (owner_of<Owner>(poll)->*Method)();
    });
  }
  void stop();

 private:
  // The poll handle's companion: the fd must stay open for as long as the loop may still be
  // watching it, so it is closed with the handle's block, by its close callback.
  struct TimerFd {
    int fd = -1;
    ~TimerFd();
  };
  void arm(std::uint64_t deadline_ns);
  // Consumes the expiry and stops watching; false for a spurious wake-up.
  static bool expired(uv_poll_t* poll, int status);

  UvHandle<uv_poll_t, TimerFd> poll_;
};

}  // namespace loadlab::loadgen
