// A PreciseTimer dropped while armed: its callback never reaches the dropped owner, and its
// timerfd is closed once the loop has let go of it (ASan/LSan check the rest).
#include "loadgen/precise_timer.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <filesystem>
#include <iterator>
#include <memory>

// libuv is not built with ASan, so its own reads of a handle freed too early would go unseen:
// freed memory is scribbled over instead, and such a read then fails loudly. (Only an ASan
// build calls this.)
extern "C" const char* __asan_default_options() {
  return "max_free_fill_size=4096:free_fill_byte=190";
}

namespace loadlab::loadgen {
namespace {

std::size_t open_descriptors() {
  const std::filesystem::directory_iterator entries("/proc/self/fd");
  return static_cast<std::size_t>(std::distance(begin(entries), end(entries)));
}

TEST(PreciseTimer, DroppedWhileArmed) {
  EventLoop loop;
  const std::size_t before = open_descriptors();
  bool reached = false;
  struct Owner {
    Owner(uv_loop_t* l, bool& r) : timer(l), reached(r) {}
    void on_tick() { reached = true; }
    PreciseTimer timer;
    bool& reached;
  };
  auto owner = std::make_unique<Owner>(loop.get(), reached);
  owner->timer.start_at<&Owner::on_tick>(owner.get(),
                                         uv_hrtime());  // due at once: the fd is readable
  owner.reset();
  loop.run();
  EXPECT_FALSE(reached);
  EXPECT_EQ(open_descriptors(), before);
}

}  // namespace
}  // namespace loadlab::loadgen
