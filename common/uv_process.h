// A child process on the pattern of uv_handle.h. Dropping it stops libuv from watching the
// child, so an owner drops it once the exit callback has told it the child is gone (reaped).
#pragma once

#include <uv.h>

#include <cstdint>

#include "common/uv_handle.h"

namespace loadlab {

class Process {
 public:
  // Method: void Owner::f(std::int64_t exit_status, int term_signal). `options.exit_cb` is
  // set here. On failure the handle is still to be dropped, which the destructor does.
  template <auto Method, typename Owner>
  int spawn(uv_loop_t* loop, Owner* owner, uv_process_options_t options) {
    options.exit_cb = [](uv_process_t* process, std::int64_t exit_status, int term_signal) {
      // libuv 1.44 collects every exited child before calling back, so a process dropped in
      // another's exit callback of the same batch is still called back, with its owner gone.
      if (Owner* target = owner_of<Owner>(process)) (target->*Method)(exit_status, term_signal);
    };
    const int status = uv_spawn(loop, handle_.get(), &options);
    handle_.get()->data = owner;  // uv_spawn initialises the handle, even when it fails
    return status;
  }

  int pid() const { return handle_.get()->pid; }
  int kill(int signum) {
    return handle_.get() != nullptr ? uv_process_kill(handle_.get(), signum) : UV_ESRCH;
  }
  void close() { handle_.reset(); }

 private:
  UvHandle<uv_process_t> handle_;
};

}  // namespace loadlab
