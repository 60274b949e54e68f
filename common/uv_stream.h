// A TCP socket or a pipe on the pattern of uv_handle.h: its write, connect and shutdown
// requests live in the handle's block, so they stay valid until libuv has called them back
// (with UV_ECANCELED when the stream closes under them), whoever is gone by then.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cerrno>
#include <cstddef>
#include <type_traits>

#include "common/uv_handle.h"

namespace loadlab {

// kWrites: how many writes the owner keeps in flight at once (one request each).
template <typename Handle, std::size_t kWrites = 1>
class Stream {
 public:
  struct Requests {
    uv_write_t writes[kWrites];
    uv_connect_t connect;
    uv_shutdown_t shutdown;
    void forget_owner() {
      for (uv_write_t& write : writes) write.data = nullptr;
      connect.data = nullptr;
      shutdown.data = nullptr;
    }
  };

  // Not yet on a loop: init() puts it there (a reconnect assigns a fresh Stream first).
  Stream() = default;

  int init(uv_loop_t* loop) {
    if constexpr (std::is_same_v<Handle, uv_tcp_t>) {
      return uv_tcp_init(loop, handle_.get());
    } else {
      return uv_pipe_init(loop, handle_.get(), 0);
    }
  }

  // Adopts a connected socket or an open pipe descriptor (after init).
  int open(int fd) {
    if constexpr (std::is_same_v<Handle, uv_tcp_t>) {
      return uv_tcp_open(handle_.get(), fd);
    } else {
      return uv_pipe_open(handle_.get(), fd);
    }
  }

  Handle* handle() const { return handle_.get(); }
  uv_stream_t* get() const { return reinterpret_cast<uv_stream_t*>(handle_.get()); }

  // Alloc: uv_buf_t Owner::f(); Read: void Owner::f(ssize_t nread, const uv_buf_t* buf).
  template <auto Alloc, auto Read, typename Owner>
  int read_start(Owner* owner) {
    if (!open()) return UV_EBADF;
    handle_.get()->data = owner;
    return uv_read_start(
        get(),
        [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
          *buf = (owner_of<Owner>(handle)->*Alloc)();
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
          (owner_of<Owner>(stream)->*Read)(nread, buf);
        });
  }
  void read_stop() {
    if (open()) uv_read_stop(get());  // cannot fail (libuv returns 0)
  }

  int try_write(const uv_buf_t* bufs, unsigned count) {
    return open() ? uv_try_write(get(), bufs, count) : UV_EBADF;
  }

  // Method: void Owner::f(int status). `slot` < kWrites: a write request not in flight.
  template <auto Method, typename Owner>
  int write(Owner* owner, const uv_buf_t* bufs, unsigned count, std::size_t slot = 0) {
    if (!open()) return UV_EBADF;
    uv_write_t* req = &handle_.companion().writes[slot];
    req->data = owner;
    return uv_write(req, get(), bufs, count, [](uv_write_t* done, int status) {
      if (auto* to = owner_of<Owner>(done)) (to->*Method)(status);
    });
  }

  // Sends FIN once the writes queued before it are out; nobody waits for it.
  int shutdown() {
    if (!open()) return UV_EBADF;
    return uv_shutdown(&handle_.companion().shutdown, get(), [](uv_shutdown_t*, int) {});
  }

  // Method: void Owner::f(int status), also called (UV_ECANCELED) if the stream closes first.
  template <auto Method, typename Owner>
  requires std::is_same_v<Handle, uv_tcp_t>
  int connect(Owner* owner, const sockaddr* address) {
    if (!open()) return UV_EBADF;
    uv_connect_t* req = &handle_.companion().connect;
    req->data = owner;
    return uv_tcp_connect(req, handle_.get(), address, [](uv_connect_t* done, int status) {
      if (auto* to = owner_of<Owner>(done)) (to->*Method)(status);
    });
  }

  // Makes the close that follows abort the connection with RST (SO_LINGER 0), as
  // uv_tcp_close_reset does; not after shutdown() (libuv forbids mixing the two).
  int linger_zero() requires std::is_same_v<Handle, uv_tcp_t> {
    if (!open()) return UV_EBADF;
    uv_os_fd_t fd;
    if (const int status = uv_fileno(handle_.base(), &fd); status < 0) return status;
    const linger off{1, 0};
    return setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off) == 0
               ? 0
               : uv_translate_sys_error(errno);
  }

  int nodelay(bool enable) requires std::is_same_v<Handle, uv_tcp_t> {
    return open() ? uv_tcp_nodelay(handle_.get(), enable ? 1 : 0) : UV_EBADF;
  }

  // See uv_handle.h: drop, or close and be told.
  void close() { handle_.reset(); }
  template <auto Method, typename Owner>
  void close(Owner* owner) {
    handle_.template close<Method>(owner);
  }

 private:
  bool open() const { return handle_.get() != nullptr; }

  UvHandle<Handle, Requests> handle_;
};

template <std::size_t kWrites = 1>
using TcpStream = Stream<uv_tcp_t, kWrites>;
using Pipe = Stream<uv_pipe_t>;

}  // namespace loadlab
