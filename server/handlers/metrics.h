// GET /metrics: the Prometheus text exposition of every loop's counters (server/metrics.h).
#pragma once

#include "server/handlers/handler.h"

namespace loadlab::server {

class MetricsHandler final : public Handler {
 public:
  explicit MetricsHandler(LoopContext& loop) : loop_(loop) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef, std::uint32_t) override {}  // answers at once: nothing to cancel

 private:
  LoopContext& loop_;
};

}  // namespace loadlab::server
