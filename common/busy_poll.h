// Runs a uv loop that spins for a moment before it sleeps, while its events come close together.
//
// Why: a thread that sleeps between events makes whoever wakes it pay for the wake-up, and on
// loopback that is its peer. The kernel wakes a sleeping thread from inside the sender's write,
// on the sender's core, and in a virtual machine the interrupt to an idle core exits to the
// hypervisor. The loadgen, faster per request than nginx, slept every ~10 responses at -c100
// and nginx's throughput paid for it; wrk, slower, hardly ever sleeps (bench/RESULTS.md, "Busy
// polling"). So, as Linux's guest halt-polling and socket busy-polling do, the loop looks for
// work for up to a window before it sleeps, and the window adapts: it grows while the sleeps it
// could have saved were short, and falls to nothing when they are long, so that a loop waiting
// on slow events (a server at rest, a load of /1000) sleeps at once.
#pragma once

#include <uv.h>

#include <cstdint>

namespace loadlab {

// How long to spin before the next sleep, given how long the waits have been. Starts at
// nothing; a wait (spin plus sleep) that I/O ended within the limit doubles it (from kStartNs);
// one that outlasted the limit, or that a timer ended, halves it, and below kStartNs it is
// nothing again.
class BusyPollWindow {
 public:
  static constexpr std::uint64_t kStartNs = 10'000;

  explicit BusyPollWindow(std::uint64_t limit_ns) : limit_ns_(limit_ns) {}
  std::uint64_t window_ns() const { return window_ns_; }
  // The loop spun for `spun_ns` without finding an event, then slept `slept_ns` until one came.
  void waited(std::uint64_t spun_ns, std::uint64_t slept_ns);

 private:
  std::uint64_t limit_ns_;
  std::uint64_t window_ns_ = 0;
};

// --busy-poll-us, for both programs: the default limit, and the ceiling (past 1 ms a loop
// would spin for events that are not coming soon).
inline constexpr std::uint64_t kDefaultBusyPollUs = 50;
inline constexpr std::uint64_t kMaxBusyPollUs = 1000;

// What the spinning cost and what it saved, for whoever accounts the thread's CPU time: the
// spin is CPU time the thread would otherwise have spent asleep.
struct BusyPollStats {
  std::uint64_t spin_cpu_ns = 0;  // the thread's CPU time spent spinning, found or not
  std::uint64_t spins_found = 0;  // looks before a sleep that found an event
  std::uint64_t sleeps = 0;       // waits that ended in a sleep
};

// Runs `loop` until no active handle or request is left, as uv_run(UV_RUN_DEFAULT) does (it
// is that, when `limit_ns` is 0), spinning up to BusyPollWindow's window before each sleep.
// A timer is never later than with uv_run: the time to it is reckoned after each pass's
// callbacks and again after a spin. Not for a loop that calls uv_stop().
BusyPollStats run_busy_polling(uv_loop_t* loop, std::uint64_t limit_ns);

}  // namespace loadlab
