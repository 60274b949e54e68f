// GET /prime/N[?method=trial|mr]: hands the job to the worker pool (server/prime_service.h),
// which answers on this loop later; a client that leaves takes its queued jobs with it.
#pragma once

#include <cstdint>
#include <string_view>

#include "server/handlers/handler.h"

namespace loadlab::server {

// The route table's parser for /prime/N: N an unsigned 64-bit decimal, an optional method.
RouteResult parse_prime_route(std::string_view number, std::string_view query,
                              const RouterLimits& limits);

class PrimeHandler final : public Handler {
 public:
  explicit PrimeHandler(LoopContext& loop) : loop_(loop) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef ref, std::uint32_t ticket) override;
  void answered(ExchangeRef ref, std::uint32_t ticket) override;

 private:
  LoopContext& loop_;
  // A closing connection cancels its kept requests one after another; the pool drops all of
  // a connection's jobs at once, so it is told once. Ids are never reused on a loop.
  std::uint64_t last_cancelled_connection_ = 0;
};

}  // namespace loadlab::server
