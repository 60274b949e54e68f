// /status/C and /status/C1:W1,C2:W2,...: answers at once with a status code, chosen at random
// by integer weights when several are listed (`?seed=S`: the same choice for the same S), for
// clients that must be seen to handle errors; `?retry_after=S` adds `Retry-After: S`.
#pragma once

#include <string_view>

#include "server/handlers/handler.h"
#include "server/random.h"

namespace loadlab::server {

// The route table's parser for /status/...: each C in 200..599, each weight W (default 1) in
// 0..kMaxStatusWeight, at most kMaxStatusChoices of them, not all weights 0.
RouteResult parse_status_route(std::string_view choices, std::string_view query,
                               const RouterLimits& limits);

inline constexpr std::uint32_t kMaxStatusWeight = 1'000'000;
inline constexpr std::uint64_t kMaxRetryAfterSeconds = 86'400;  // a day, as the time flags

// The status drawn for `route`'s choices with `random` (a uniform draw over the weights' sum).
std::uint16_t choose_status(const Route& route, SplitMix64& random);

class StatusHandler final : public Handler {
 public:
  explicit StatusHandler(LoopContext& loop) : loop_(loop), random_(SplitMix64::from_entropy()) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef, std::uint32_t) override {}

 private:
  LoopContext& loop_;
  SplitMix64 random_;  // this loop's draws for requests without a seed
};

}  // namespace loadlab::server
