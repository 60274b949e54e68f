// The seam between an event loop's connections and the /prime worker pool: a connection
// submits a job naming its exchange by id, and the result comes back on the same loop through
// LoopContext::complete(), which drops it if the connection has gone.
#pragma once

#include <cstdint>

#include "server/router.h"

namespace loadlab::server {

class LoopContext;

struct ExchangeRef {
  std::uint64_t connection_id;
  std::uint64_t seq;
};

struct PrimeRequest {
  std::uint64_t n;
  PrimeMethod method;
};

class PrimeService {
 public:
  virtual ~PrimeService() = default;
  // Called on `loop`'s thread. Must answer exactly once, on that thread, via loop.complete(),
  // unless the connection cancels first.
  virtual void submit(LoopContext& loop, ExchangeRef ref, const PrimeRequest& request) = 0;
  // Called on `loop`'s thread when a connection closes with jobs unanswered: nobody wants
  // their results. Those still queued are dropped (one being computed runs to its end).
  virtual void cancel(LoopContext& loop, std::uint64_t connection_id) = 0;
};

}  // namespace loadlab::server
