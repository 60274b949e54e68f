// /N: answers after N milliseconds without blocking the loop, with the wait it measured in the
// body and in Server-Timing. `?jitter=J` draws the delay uniformly from [max(0, N-J), N+J]
// (`&seed=S`: the same draw for the same S), `?status=C` answers with C after the delay; a
// POST, PUT, PATCH or DELETE body is read and discarded by the connection and its length
// reported. Each kept request waits on a timer of its own, taken from a pool this handler
// keeps per loop, so a warm loop allocates nothing per request.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/uv_handle.h"
#include "server/handlers/handler.h"
#include "server/random.h"

namespace loadlab::server {

// The route table's parser for /N: N plain decimal digits, and the query (jitter, status,
// seed); N + jitter at most limits.max_delay_ms.
RouteResult parse_delay_route(std::string_view segment, std::string_view query,
                              const RouterLimits& limits);

// The delay for N and jitter J: uniform in [max(0, N-J), N+J] (the parser bounds N+J).
std::uint64_t draw_delay(std::uint64_t delay_ms, std::uint64_t jitter_ms, SplitMix64& random);

class DelayHandler final : public Handler {
 public:
  explicit DelayHandler(LoopContext& loop) : loop_(loop), random_(SplitMix64::from_entropy()) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef ref, std::uint32_t ticket) override;

  // Requests waiting on a timer now (for tests and the fuzz harness's invariants).
  std::size_t waiting() const { return waits_.size() - idle_.size(); }

 private:
  // What a request asked and what was drawn for it: all its answer needs but the wait.
  struct Asked {
    std::uint64_t delay_ms = 0;       // N
    std::uint64_t jitter_ms = 0;      // J
    std::uint64_t delay_used_ms = 0;  // drawn from [max(0, N-J), N+J]
    std::uint64_t body_bytes = 0;
    std::uint16_t status = 200;
  };

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
    Asked asked{};
  };

  void arm(Wait& wait, std::uint64_t now_ns);
  void on_timer(Wait& wait);
  Response respond(const Asked& asked, std::uint64_t waited_ns);
  Wait& acquire();
  void release(Wait& wait);

  LoopContext& loop_;
  SplitMix64 random_;                         // this loop's draws for requests without a seed
  std::vector<std::unique_ptr<Wait>> waits_;  // by ticket; stable addresses for the timers
  std::vector<std::uint32_t> idle_;           // tickets free for the next request
};

}  // namespace loadlab::server
