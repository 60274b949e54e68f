// GET /N: answers after N milliseconds without blocking the loop, with the wait it measured
// in the body and in Server-Timing. Each kept request waits on a timer of its own, taken from
// a pool this handler keeps per loop, so a warm loop allocates nothing per request.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/uv_handle.h"
#include "server/handlers/handler.h"

namespace loadlab::server {

// The route table's parser for /N: N plain decimal digits, at most limits.max_delay_ms.
RouteResult parse_delay_route(std::string_view segment, std::string_view query,
                              const RouterLimits& limits);

class DelayHandler final : public Handler {
 public:
  explicit DelayHandler(LoopContext& loop) : loop_(loop) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef ref, std::uint32_t ticket) override;

  // Requests waiting on a timer now (for tests and the fuzz harness's invariants).
  std::size_t waiting() const { return waits_.size() - idle_.size(); }

 private:
  struct Wait {
    Wait(DelayHandler& handler, uv_loop_t* loop, std::uint32_t slot)
        : owner(handler), timer(loop), index(slot) {}
    void on_timer() { owner.on_timer(*this); }

    DelayHandler& owner;
    Timer timer;
    const std::uint32_t index;  // in waits_: the request's ticket
    ExchangeRef ref{};
    std::uint64_t start_ns = 0;
    std::uint64_t due_ns = 0;
    std::uint64_t delay_ms = 0;
  };

  void arm(Wait& wait, std::uint64_t now_ns);
  void on_timer(Wait& wait);
  Response respond(std::uint64_t delay_ms, std::uint64_t waited_ns);
  Wait& acquire();
  void release(Wait& wait);

  LoopContext& loop_;
  std::vector<std::unique_ptr<Wait>> waits_;  // by ticket; stable addresses for the timers
  std::vector<std::uint32_t> idle_;           // tickets free for the next request
};

}  // namespace loadlab::server
