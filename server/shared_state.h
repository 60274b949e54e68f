// What every event loop of one server shares: the immutable configuration, the metrics
// registry, and the few flags that cross threads (all atomics).
#pragma once

#include <atomic>
#include <cstdint>

#include "server/config.h"
#include "server/metrics.h"

namespace loadlab {
class TlsContext;
}  // namespace loadlab

namespace loadlab::server {

class PrimeService;

struct SharedState {
  explicit SharedState(const ServerConfig& server_config)
      : config(server_config), metrics(server_config.threads, server_config.tls_enabled()) {}

  const ServerConfig& config;
  MetricsRegistry metrics;
  std::atomic<bool> draining{false};
  std::atomic<std::uint64_t> open_connections{0};  // across loops, for --max-connections
  PrimeService* prime = nullptr;                   // null: /prime answers 503
  const TlsContext* tls = nullptr;                 // null: no HTTPS port
};

}  // namespace loadlab::server
