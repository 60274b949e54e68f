// GET /bytes/N[?seed=S][&chunked=1&chunk=K]: N pseudo-random bytes, the same for the same
// seed (one is drawn, and named in `X-Seed`, when none is given), framed by Content-Length or
// sent in K-byte chunks. The body is generated piece by piece as the client takes it, so a
// 10 MiB answer to a client that stops reading holds one piece, not 10 MiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/handlers/handler.h"
#include "server/handlers/random_bytes.h"
#include "server/handlers/seed_streams.h"
#include "server/handlers/slot_pool.h"
#include "server/random.h"

namespace loadlab::server {

// Largest piece a body source produces at once: what a slow client holds in memory.
inline constexpr std::size_t kBodyPieceBytes = 64 * 1024;
// Largest /bytes chunk (chunk=K): one chunk is one piece.
inline constexpr std::uint64_t kMaxChunkBytes = 1024 * 1024;
inline constexpr std::uint64_t kDefaultChunkBytes = 16 * 1024;

RouteResult parse_bytes_route(std::string_view count, std::string_view query,
                              const RouterLimits& limits);

class BytesHandler final : public Handler {
 public:
  explicit BytesHandler(LoopContext& loop);
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef, std::uint32_t) override {}  // answers at once: never kept

  std::size_t sending() const { return bodies_.in_use(); }

 private:
  struct Body final : BodySource {
    Body(BytesHandler& handler, uv_loop_t*, std::uint32_t slot) : owner(handler), index(slot) {}
    Step produce(std::string& out) override;
    void cancel() override { owner.bodies_.release(*this); }

    BytesHandler& owner;
    const std::uint32_t index;
    std::uint64_t seed = 0;
    bool seeded = false;  // asked for by the client: its stream may be asked for again
    std::uint64_t sent = 0;
    std::uint64_t length = 0;
    std::uint64_t piece = 0;
  };

  LoopContext& loop_;
  SlotPool<Body> bodies_;
  SeedStreams streams_;
  SplitMix64 seeds_;  // draws the seeds of requests that give none
};

}  // namespace loadlab::server
