// The requests of one connection, in arrival order, until their responses are written.
// A ring of reused slots: each slot keeps its output buffer's capacity, so a keep-alive
// connection allocates nothing per request once warm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "server/handlers/handler.h"
#include "server/response.h"
#include "server/route_table.h"

namespace loadlab::server {

struct Exchange {
  // kStreaming: what `out` held is written, and the body source has nothing yet.
  enum class State : std::uint8_t { kWaiting, kReady, kWriting, kStreaming };

  std::uint64_t seq = 0;
  State state = State::kWaiting;
  RouteKind route = RouteKind::kOther;  // its handler while kWaiting; its metrics label
  std::uint8_t method = 0;              // llhttp_method_t
  bool head_only = false;
  bool close_after = false;
  bool http10 = false;
  bool chunked = false;           // the source's pieces are sent as chunks
  Ending ending = Ending::kNone;  // what the connection does once this response is out
  BodySource* source = nullptr;   // while the body is still being produced
  int status = 0;
  std::uint64_t start_ns = 0;  // request fully received
  std::uint32_t ticket = 0;    // the handler's note about a request it kept (Reply::ticket)
  std::string out;             // the serialised response once ready
  std::string target;          // kept only for the access log
};

class ExchangeQueue {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Exchange& at(std::size_t i) { return slots_[(head_ + i) % slots_.size()]; }
  Exchange& front() { return at(0); }

  // References into the queue are invalidated by push() (it may grow the ring).
  Exchange& push() {
    if (size_ == slots_.size()) grow();
    Exchange& slot = slots_[(head_ + size_) % slots_.size()];
    ++size_;
    return slot;
  }
  void pop_front() {
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }
  void clear() { head_ = size_ = 0; }
  // Heap bytes the slots' buffers hold (their capacity), for the loop's memory bookkeeping.
  std::size_t buffer_bytes() const {
    std::size_t bytes = slots_.capacity() * sizeof(Exchange);
    for (const Exchange& slot : slots_) bytes += slot.out.capacity() + slot.target.capacity();
    return bytes;
  }

 private:
  void grow() {
    std::vector<Exchange> bigger(slots_.empty() ? 2 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(at(i));
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<Exchange> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace loadlab::server
