// A one-shot timer with nanosecond deadlines for the open-loop schedule. libuv's timers count
// whole milliseconds, which would start every request up to 1 ms after its slot and add that
// to every corrected latency; a timerfd watched by the loop fires within microseconds.
// Deadlines are uv_hrtime() values (both are CLOCK_MONOTONIC).
#pragma once

#include <uv.h>

#include <cstdint>

namespace loadlab::loadgen {

class PreciseTimer {
 public:
  explicit PreciseTimer(uv_loop_t* loop);  // throws std::runtime_error
  ~PreciseTimer();
  PreciseTimer(const PreciseTimer&) = delete;
  PreciseTimer& operator=(const PreciseTimer&) = delete;

  template <auto Method, typename Owner>
  void start_at(Owner* owner, std::uint64_t deadline_ns) {
    state_->owner = owner;
    state_->fire = [](void* o) { (static_cast<Owner*>(o)->*Method)(); };
    arm(deadline_ns);
  }
  void stop();

 private:
  // Freed by the poll handle's close callback, which also closes the fd: the fd must stay
  // open for as long as the loop may still be watching it.
  struct State {
    uv_poll_t poll{};
    int fd = -1;
    void* owner = nullptr;
    void (*fire)(void*) = nullptr;
  };
  void arm(std::uint64_t deadline_ns);

  State* state_;
};

}  // namespace loadlab::loadgen
