// Thin RAII over libuv handles. A handle's memory must outlive uv_close until its close
// callback runs, so an owned handle is heap-allocated and freed by that callback: the owner
// may be destroyed at any time and no callback of the handle runs after that.
#pragma once

#include <uv.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace loadlab {

// Throws for start-up failures (bind, loop init); runtime errors stay return codes.
inline void uv_check(int status, const char* what) {
  if (status < 0) throw std::runtime_error(std::string(what) + ": " + uv_strerror(status));
}

// The object a handle or request belongs to, set through `data` by the wrappers below.
template <typename Owner, typename UvType>
Owner* owner_of(UvType* uv_object) {
  return static_cast<Owner*>(uv_object->data);
}

template <typename Handle>
class UvHandle {
 public:
  UvHandle() : handle_(new Handle{}) {}
  ~UvHandle() { reset(); }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  Handle* get() const { return handle_; }
  uv_handle_t* base() const { return reinterpret_cast<uv_handle_t*>(handle_); }

  // Closes the handle (if it was ever initialised) and frees it from the close callback.
  void reset() {
    Handle* handle = std::exchange(handle_, nullptr);
    if (handle == nullptr) return;
    auto* base_handle = reinterpret_cast<uv_handle_t*>(handle);
    if (base_handle->loop == nullptr) {  // never initialised
      delete handle;
      return;
    }
    base_handle->data = nullptr;
    uv_close(base_handle, [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
  }

 private:
  Handle* handle_;
};

// A timer whose callback is a member function of its owner: typed, allocation-free.
class Timer {
 public:
  explicit Timer(uv_loop_t* loop) { uv_check(uv_timer_init(loop, handle_.get()), "uv_timer_init"); }

  template <auto Method, typename Owner>
  void start(Owner* owner, std::uint64_t timeout_ms, std::uint64_t repeat_ms = 0) {
    handle_.get()->data = owner;
    // Fails only for a closing handle, which this wrapper never lends out: a bug if it does.
    uv_check(uv_timer_start(
                 handle_.get(), [](uv_timer_t* timer) { (owner_of<Owner>(timer)->*Method)(); }, timeout_ms,
                 repeat_ms),
             "uv_timer_start");
  }
  void stop() { uv_timer_stop(handle_.get()); }  // cannot fail (libuv returns 0)
  bool active() const { return uv_is_active(handle_.base()) != 0; }
  // Keeps the loop from waiting on this timer alone (e.g. a periodic refresh).
  void unref() { uv_unref(handle_.base()); }
  void ref() { uv_ref(handle_.base()); }

 private:
  UvHandle<uv_timer_t> handle_;
};

// Wakes a loop from another thread; the callback runs on the loop's own thread.
class AsyncSignal {
 public:
  template <auto Method, typename Owner>
  static AsyncSignal create(uv_loop_t* loop, Owner* owner) {
    AsyncSignal signal;
    uv_check(uv_async_init(loop, signal.handle_.get(),
                           [](uv_async_t* async) { (owner_of<Owner>(async)->*Method)(); }),
             "uv_async_init");
    signal.handle_.get()->data = owner;
    return signal;
  }
  // Safe from any thread while the handle is open.
  void send() { uv_async_send(handle_.get()); }  // cannot fail on Unix (libuv returns 0)
  void unref() { uv_unref(handle_.base()); }
  void ref() { uv_ref(handle_.base()); }
  void close() { handle_.reset(); }

 private:
  AsyncSignal() = default;
  UvHandle<uv_async_t> handle_;
};

// Watches one signal number on a loop.
class SignalWatcher {
 public:
  template <auto Method, typename Owner>
  static SignalWatcher create(uv_loop_t* loop, Owner* owner, int signum) {
    SignalWatcher watcher;
    uv_check(uv_signal_init(loop, watcher.handle_.get()), "uv_signal_init");
    watcher.handle_.get()->data = owner;
    uv_check(uv_signal_start(
                 watcher.handle_.get(),
                 [](uv_signal_t* handle, int number) { (owner_of<Owner>(handle)->*Method)(number); }, signum),
             "uv_signal_start");
    return watcher;
  }
  void close() { handle_.reset(); }

 private:
  SignalWatcher() = default;
  UvHandle<uv_signal_t> handle_;
};

// A loop that is closed (after running its remaining close callbacks) when destroyed.
class EventLoop {
 public:
  EventLoop() { uv_check(uv_loop_init(&loop_), "uv_loop_init"); }
  ~EventLoop() {
    // Let every pending close callback run so handle memory is freed, then close.
    uv_walk(&loop_, [](uv_handle_t* handle, void*) {
      if (!uv_is_closing(handle)) uv_close(handle, nullptr);
    }, nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    // UV_EBUSY only if a handle were still open, and every one was closed just above.
    uv_loop_close(&loop_);
  }
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  uv_loop_t* get() { return &loop_; }
  int run(uv_run_mode mode = UV_RUN_DEFAULT) { return uv_run(&loop_, mode); }

 private:
  uv_loop_t loop_{};
};

}  // namespace loadlab
