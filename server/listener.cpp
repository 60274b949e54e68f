#include "server/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace loadlab::server {
namespace {

// Accepts per wake-up, so one loop's flood of new connections cannot starve the requests of
// the connections it already has; the poll is level-triggered and wakes again for the rest.
// Not fewer: an accept costs a few microseconds, a loop turn with thousands of slow bodies
// (drips) tens of milliseconds, and at 128 a turn 5000 connections waited up to a second in
// the kernel's queue (bench/client_target.sh, issue 12), their requests unanswered. 1024 is
// also how many events libuv takes from one epoll_wait.
constexpr int kAcceptBatch = 1024;
constexpr int kShedBatch = 1024;
// While paused without a reserve descriptor: how often to try to get one back even if none of
// this loop's connections closes (the descriptor may be freed by another loop).
constexpr std::uint64_t kRetryMs = 100;
constexpr std::uint64_t kReportIntervalMs = 1000;

int open_reserve() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

std::runtime_error sys_error(const char* what, int error) {
  return std::runtime_error(std::string(what) + ": " + std::strerror(error));
}

bool out_of_descriptors(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

// accept(2) reports errors of the connection being accepted, after which the next one may be
// fine (Linux: "treat them like EAGAIN by retrying").
bool connection_error(int error) {
  switch (error) {
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case ETIMEDOUT:
      return true;
    default:
      return false;
  }
}

}  // namespace

Listener::Listener(uv_loop_t* loop, const sockaddr* address, unsigned loop_index,
                   LocalCounter& dropped)
    : loop_(loop), index_(loop_index), dropped_(dropped), resume_timer_(loop), report_timer_(loop) {
  // The report timer may not keep a draining loop alive. The resume timer must: while paused
  // it may be all that is left to wake the loop (a loop without connections would otherwise
  // end its thread); draining resets the listener, which closes it.
  report_timer_.unref();
  fd_ = ::socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw sys_error("socket", errno);
  const int on = 1;
  // SO_REUSEADDR as libuv sets it (TIME_WAIT does not block a restart); SO_REUSEPORT so every
  // loop's listener shares the port and the kernel spreads connections across them.
  if (setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    const int error = errno;
    ::close(fd_);
    throw sys_error("setsockopt(SO_REUSEPORT)", error);
  }
  const socklen_t length =
      address->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd_, address, length) != 0) {
    const int error = errno;
    ::close(fd_);
    throw sys_error("bind", error);
  }
  reserve_fd_ = open_reserve();
}

Listener::~Listener() {
  poll_.reset();  // stops watching before the descriptor is closed
  ::close(fd_);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

std::uint16_t Listener::port() const {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0)
    throw sys_error("getsockname", errno);
  if (storage.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

void Listener::listen(int backlog, std::function<void(int fd)> on_accepted) {
  on_accepted_ = std::move(on_accepted);
  if (::listen(fd_, backlog) != 0) throw sys_error("listen", errno);
  uv_check(uv_poll_init(loop_, poll_.get(), fd_), "uv_poll_init");
  poll_.get()->data = this;
  listening_ = true;
  uv_check(
      uv_poll_start(poll_.get(), UV_READABLE,
                    [](uv_poll_t* poll, int, int) { owner_of<Listener>(poll)->on_readable(); }),
      "uv_poll_start");
}

void Listener::on_readable() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      on_accepted_(fd);
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      // The queue is empty: now a freed descriptor may become the reserve again (taking it
      // before accepting would have shed the connection that was waiting for it).
      if (reserve_fd_ < 0) reserve_fd_ = open_reserve();
      return;
    }
    if (error == EINTR || connection_error(error)) continue;
    if (out_of_descriptors(error)) {
      shed(error);
    } else {
      pause();  // unexpected: do not retry in a loop
      note(error, 0);
    }
    return;
  }
}

// No descriptor to give the pending connections: accept each through the reserve and close it
// at once (the client sees its connection closed, not a silent hang), counting every one.
void Listener::shed(int error) {
  std::uint64_t dropped = 0;
  bool stuck = true;  // connections are pending that we could not take
  if (reserve_fd_ >= 0) {
    ::close(reserve_fd_);
    for (int i = 0; i < kShedBatch; ++i) {
      const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        ::close(fd);
        ++dropped;
        stuck = false;  // a full batch: the poll wakes us again for the rest
        continue;
      }
      if (errno == EINTR || connection_error(errno)) continue;
      // EAGAIN: all shed. EMFILE: another thread took the freed slot first.
      stuck = errno != EAGAIN && errno != EWOULDBLOCK;
      break;
    }
    reserve_fd_ = open_reserve();  // fails if another thread took the slot meanwhile
  }
  dropped_.add(dropped);
  // Pending connections we cannot take now wait in the kernel's queue: stop polling (a
  // level-triggered poll would wake us at once, for ever) until a descriptor is free.
  if (reserve_fd_ < 0 || stuck) pause();
  note(error, dropped);
}

void Listener::pause() {
  if (!paused_) {
    paused_ = true;
    uv_poll_stop(poll_.get());  // cannot fail (libuv returns 0)
  }
  resume_timer_.start<&Listener::resume>(this, kRetryMs);
}

void Listener::resume() {
  if (!paused_ || !listening_) return;
  // Polling again without a reserve is safe: an accept that still fails with EMFILE finds no
  // reserve in shed() and pauses again, so this is a retry every kRetryMs, never a spin.
  resume_timer_.stop();
  paused_ = false;
  const int status = uv_poll_start(poll_.get(), UV_READABLE, [](uv_poll_t* poll, int, int) {
    owner_of<Listener>(poll)->on_readable();
  });
  if (status < 0) {
    note(-status, 0);
    pause();
  }
}

void Listener::on_descriptor_freed() {
  if (paused_) resume();
}

void Listener::note(int error, std::uint64_t dropped) {
  unreported_error_ = error;
  unreported_drops_ += dropped;
  const std::uint64_t now = uv_now(loop_);
  if (now >= next_report_ms_) {
    report();
  } else if (!report_timer_.active()) {
    report_timer_.start<&Listener::report>(this, next_report_ms_ - now);
  }
}

void Listener::report() {
  if (unreported_error_ == 0) return;
  spdlog::warn(
      "loop {}: accept failed: {}; {} connection(s) closed unanswered since the last report{}",
      index_, std::strerror(unreported_error_), unreported_drops_,
      paused_ ? "; accepting paused until a descriptor is free" : "");
  unreported_error_ = 0;
  unreported_drops_ = 0;
  next_report_ms_ = uv_now(loop_) + kReportIntervalMs;
}

}  // namespace loadlab::server
