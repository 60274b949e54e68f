// One loop's listening socket (SO_REUSEPORT, so every loop has its own on the same port), and
// what it does when the process runs out of file descriptors.
//
// Why not uv_listen: on EMFILE libuv accepts and closes pending connections through a
// per-loop reserve descriptor without telling us (the drops go uncounted), and when another
// thread has taken the reserve's slot meanwhile it calls back with the error in a loop that
// does not return until accept() succeeds: 100 % CPU, a log line per turn, and the loop never
// gets to close the connections whose clients left, so it never frees a descriptor.
//
// Here accept() is ours, on a uv_poll of the socket: when it fails for want of descriptors, the
// pending connections are accepted and closed at once through our own reserve descriptor, each
// one counted, and logged at most once a second. If the reserve cannot be had back (another
// thread took the slot), accepting pauses until a connection of this loop closes, or for a
// short retry interval: never a busy loop, and the next connection is served as soon as a
// descriptor is free.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>

#include "common/uv_handle.h"
#include "server/metrics.h"

namespace loadlab::server {

class Listener {
 public:
  // Creates and binds the socket (start-up errors throw, on the calling thread).
  Listener(uv_loop_t* loop, const sockaddr* address, unsigned loop_index, LocalCounter& dropped);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  std::uint16_t port() const;
  // Starts accepting; `on_accepted` receives each new connection's (non-blocking) descriptor
  // and owns it from then on.
  void listen(int backlog, std::function<void(int fd)> on_accepted);
  // A descriptor was released: if accepting is paused for want of one, resume now.
  void on_descriptor_freed();

 private:
  void on_readable();
  void shed(int error);
  void pause();
  void resume();
  void note(int error, std::uint64_t dropped);
  void report();

  uv_loop_t* loop_;
  unsigned index_;
  LocalCounter& dropped_;
  int fd_ = -1;
  int reserve_fd_ = -1;  // given up for a moment to accept (and close) one connection at a time
  UvHandle<uv_poll_t> poll_;
  Timer resume_timer_;
  Timer report_timer_;
  std::function<void(int)> on_accepted_;
  bool listening_ = false;
  bool paused_ = false;
  // Rate-limited warning: what happened since the last line.
  int unreported_error_ = 0;
  std::uint64_t unreported_drops_ = 0;
  std::uint64_t next_report_ms_ = 0;
};

}  // namespace loadlab::server
