// GET /healthz (liveness: the loop answers) and GET /readyz (readiness: not while draining,
// so a load balancer stops sending before the server goes).
#pragma once

#include "server/handlers/handler.h"

namespace loadlab::server {

class LivenessHandler final : public Handler {
 public:
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef, std::uint32_t) override {}  // answers at once: nothing to cancel
};

class ReadinessHandler final : public Handler {
 public:
  explicit ReadinessHandler(LoopContext& loop) : loop_(loop) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef, std::uint32_t) override {}  // answers at once: nothing to cancel

 private:
  LoopContext& loop_;
};

}  // namespace loadlab::server
