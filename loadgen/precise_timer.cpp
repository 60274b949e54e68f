#include "loadgen/precise_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace loadlab::loadgen {

PreciseTimer::TimerFd::~TimerFd() {
  if (fd >= 0) close(fd);
}

PreciseTimer::PreciseTimer(uv_loop_t* loop) {
  int& fd = poll_.companion().fd;
  fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    throw std::runtime_error(std::string("timerfd_create: ") + std::strerror(error));
  }
  // On failure poll_ is dropped uninitialised, which closes the fd.
  if (const int status = uv_poll_init(loop, poll_.get(), fd); status < 0) {
    throw std::runtime_error(std::string("uv_poll_init: ") + uv_strerror(status));
  }
}

void PreciseTimer::arm(std::uint64_t deadline_ns) {
  itimerspec spec{};
  // 0 would disarm the timer; a deadline in the past fires at once, as it should.
  deadline_ns = deadline_ns == 0 ? 1 : deadline_ns;
  spec.it_value.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000);
  timerfd_settime(poll_.companion().fd, TFD_TIMER_ABSTIME, &spec, nullptr);
}

bool PreciseTimer::expired(uv_poll_t* poll, int status) {
  std::uint64_t expirations = 0;
  if (read(UvHandle<uv_poll_t, TimerFd>::companion_of(poll).fd, &expirations, sizeof expirations) <
          0 &&
      status == 0) {
    return false;  // spurious
  }
  uv_poll_stop(poll);
  return true;
}

void PreciseTimer::stop() {
  itimerspec disarm{};
  timerfd_settime(poll_.companion().fd, 0, &disarm, nullptr);
  uv_poll_stop(poll_.get());
}

}  // namespace loadlab::loadgen
