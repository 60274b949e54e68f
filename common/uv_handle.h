// The one way this tree owns a libuv handle.
//
// Why one way: libuv keeps touching a handle after uv_close, until its close callback has run,
// and it also touches every request still pending on it (a write or connect is called back
// with UV_ECANCELED from inside that close). An owner, on the other hand, is dropped whenever
// its work is done, often from inside one of its own handle's callbacks. Tying the memory to
// the owner (an embedded handle, a count of open handles, a list of retired owners) makes each
// owner re-derive when libuv is done with it, and each got it slightly differently. As in
// uvw, the handle decides instead: it lives in a heap block with whatever libuv may still
// touch through it (its requests, the descriptor it watches), and only its close callback
// frees that block. The owner may then go at any moment, and nothing of it is reached again.
//
// Two ways to let go of a handle:
//  - drop it (reset(), or destroy its owner): `data` of the handle and of its requests is
//    cleared first, so no callback, not even a cancelled write's, reaches the owner;
//  - close<&Owner::on_closed>(owner): for an owner whose life is its handle's (a socket's
//    connection). It hears its pending requests and then on_closed, and may free itself
//    there. A pending request is reported with UV_ECANCELED, or with 0 when it had completed
//    just before the close (libuv defers write callbacks to the next loop turn), so an owner
//    checks whether it is closing before acting on a successful write. The wrapper is empty from
//    then on: what it is asked to do fails with UV_EBADF, as libuv's own calls fail on a closing
//    handle.
// uv_close appears only here (and in EventLoop's teardown, for handles no owner closed).
//
// The bytes a write sends need to live only as long as the owner that passed them: uv_close
// closes a stream's descriptor at once, and libuv then reports the request without reading
// them again. The request itself lives in the block.
#pragma once

#include <uv.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
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

struct NoCompanion {};

// A handle, and its companion: what must live as long as libuv may touch the handle (requests,
// a watched descriptor, closed by the companion's destructor). Both are freed by the close
// callback. A companion with forget_owner() has it called when the handle is dropped, to clear
// the `data` of its requests.
template <typename Handle, typename Companion = NoCompanion>
class UvHandle {
  struct Block {
    Handle handle{};  // first: the block's address is the handle's (see close_callback)
    Companion companion{};
    void (*on_closed)(void*) = nullptr;  // set by close<>: the owner that waits for it
    void* closed_owner = nullptr;
  };
  static_assert(std::is_standard_layout_v<Block>,
                "the close callback finds the block from the handle");

 public:
  UvHandle() : block_(new Block{}) {}
  ~UvHandle() { reset(); }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      reset();
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }

  // Null once dropped or closed.
  Handle* get() const { return block_ != nullptr ? &block_->handle : nullptr; }
  uv_handle_t* base() const { return reinterpret_cast<uv_handle_t*>(get()); }
  Companion& companion() const { return block_->companion; }
  // For a callback, which is given the handle only.
  static Companion& companion_of(Handle* handle) {
    return reinterpret_cast<Block*>(handle)->companion;
  }

  // Drops the handle: closed if it was ever initialised, freed by its close callback, and no
  // callback reaches the owner any more.
  void reset() {
    Block* block = std::exchange(block_, nullptr);
    if (block == nullptr) return;
    if (block->handle.loop == nullptr) {  // never initialised: libuv has never seen it
      delete block;
      return;
    }
    block->handle.data = nullptr;
    if constexpr (requires { block->companion.forget_owner(); }) block->companion.forget_owner();
    uv_close(reinterpret_cast<uv_handle_t*>(&block->handle), close_callback);
  }

  // Closes the handle (it must have been initialised); `owner` keeps hearing its requests'
  // callbacks, then Method, from the close callback, after the block is freed.
  template <auto Method, typename Owner>
  void close(Owner* owner) {
    Block* block = std::exchange(block_, nullptr);
    if (block == nullptr) return;
    block->closed_owner = owner;
    block->on_closed = [](void* closed) { (static_cast<Owner*>(closed)->*Method)(); };
    uv_close(reinterpret_cast<uv_handle_t*>(&block->handle), close_callback);
  }

 private:
  static void close_callback(uv_handle_t* handle) {
    auto* block = reinterpret_cast<Block*>(handle);
    const auto on_closed = block->on_closed;
    void* owner = block->closed_owner;
    delete block;
    if (on_closed != nullptr) on_closed(owner);
  }

  Block* block_;
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
                 handle_.get(), [](uv_timer_t* timer) { (owner_of<Owner>(timer)->*Method)(); },
                 timeout_ms, repeat_ms),
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
    uv_check(
        uv_signal_start(
            watcher.handle_.get(),
            [](uv_signal_t* handle, int number) { (owner_of<Owner>(handle)->*Method)(number); },
            signum),
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
    uv_walk(
        &loop_,
        [](uv_handle_t* handle, void*) {
          if (!uv_is_closing(handle)) uv_close(handle, nullptr);
        },
        nullptr);
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
