#include "loadgen/precise_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace loadlab::loadgen {

PreciseTimer::PreciseTimer(uv_loop_t* loop) : state_(new State) {
  state_->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (state_->fd < 0) {
    const int error = errno;
    delete state_;
    throw std::runtime_error(std::string("timerfd_create: ") + std::strerror(error));
  }
  if (const int status = uv_poll_init(loop, &state_->poll, state_->fd); status < 0) {
    close(state_->fd);
    delete state_;
    throw std::runtime_error(std::string("uv_poll_init: ") + uv_strerror(status));
  }
  state_->poll.data = state_;
}

PreciseTimer::~PreciseTimer() {
  uv_close(reinterpret_cast<uv_handle_t*>(&state_->poll), [](uv_handle_t* handle) {
    auto* state = static_cast<State*>(handle->data);
    close(state->fd);
    delete state;
  });
}

void PreciseTimer::arm(std::uint64_t deadline_ns) {
  itimerspec spec{};
  // 0 would disarm the timer; a deadline in the past fires at once, as it should.
  deadline_ns = deadline_ns == 0 ? 1 : deadline_ns;
  spec.it_value.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000);
  timerfd_settime(state_->fd, TFD_TIMER_ABSTIME, &spec, nullptr);
  uv_poll_start(&state_->poll, UV_READABLE, [](uv_poll_t* poll, int status, int) {
    auto* state = static_cast<State*>(poll->data);
    std::uint64_t expirations = 0;
    if (read(state->fd, &expirations, sizeof expirations) < 0 && status == 0) return;  // spurious
    uv_poll_stop(poll);
    state->fire(state->owner);
  });
}

void PreciseTimer::stop() {
  itimerspec disarm{};
  timerfd_settime(state_->fd, 0, &disarm, nullptr);
  uv_poll_stop(&state_->poll);
}

}  // namespace loadlab::loadgen
