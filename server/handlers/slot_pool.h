// Per-request state a handler keeps in slots it reuses, found again by the request's ticket:
// a warm loop allocates nothing per request, and a slot's address stays put while it is in use
// (its timer and the connection hold it).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace loadlab::server {

// Slot: constructible from (Owner&, uv_loop_t*, std::uint32_t index), with a member `index`.
template <typename Slot>
class SlotPool {
 public:
  template <typename Owner>
  Slot& acquire(Owner& owner, uv_loop_t* loop) {
    if (idle_.empty()) {
      const auto index = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(std::make_unique<Slot>(owner, loop, index));
      return *slots_.back();
    }
    const std::uint32_t index = idle_.back();
    idle_.pop_back();
    return *slots_[index];
  }
  void release(Slot& slot) { idle_.push_back(slot.index); }
  Slot& operator[](std::uint32_t ticket) { return *slots_[ticket]; }
  std::size_t in_use() const { return slots_.size() - idle_.size(); }

 private:
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::uint32_t> idle_;
};

}  // namespace loadlab::server
