// GET /drip?bytes=B&duration=D[&delay=W][&chunked=1]: after W ms, the headers, then B bytes
// ('*') spread evenly over D ms: byte i is due at (i + 1) * D / B, so the body ends at D.
// Each request is a slot of this handler with a timer; the body is produced as it falls due
// and as the client takes it (a client that reads late gets what is due in one piece).
// A loop writes at most about kDripWritesPerSecond drip pieces a second: with many drips at
// once, each groups the bytes that fall due close together into one write (see drip_gap_ns).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/uv_handle.h"
#include "server/handlers/handler.h"
#include "server/handlers/slot_pool.h"

namespace loadlab::server {

RouteResult parse_drip_route(std::string_view, std::string_view query, const RouterLimits& limits);

// Of `total` pieces spread evenly over `duration_ns`, how many are due `elapsed_ns` after the
// start (piece i at (i + 1) * duration / total), and when the next one is.
std::uint64_t pieces_due(std::uint64_t total, std::uint64_t duration_ns, std::uint64_t elapsed_ns);
std::uint64_t next_piece_ns(std::uint64_t total, std::uint64_t duration_ns, std::uint64_t sent);

// One write per drip byte is one send(2) and one segment each: 5000 drips of a byte every
// 10 ms would be 500 000 writes a second, more than a core can make, and a loop that falls
// behind delays everything on it, new connections first (their drips then start late). The
// loop's drips share this budget instead.
inline constexpr std::uint64_t kDripWritesPerSecond = 50'000;
// How far apart each of `dripping` drips on a loop spaces its writes: dripping /
// kDripWritesPerSecond seconds (below the timers' 1 ms, every byte on its own, for up to 50
// drips; 100 ms for 5000).
std::uint64_t drip_gap_ns(std::size_t dripping);
// When a drip that has sent `sent` of `total` pieces writes next, with writes at least
// `gap_ns` apart: at the first point at or after the next piece's due time on the grid
// D, D - gap, D - 2 gap, ..., so no byte is more than `gap_ns` late and the last still leaves
// at D. Every piece due by then goes in that write.
std::uint64_t next_write_ns(std::uint64_t total, std::uint64_t duration_ns, std::uint64_t sent,
                            std::uint64_t gap_ns);

class DripHandler final : public Handler {
 public:
  explicit DripHandler(LoopContext& loop) : loop_(loop) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef ref, std::uint32_t ticket) override;

  std::size_t dripping() const { return drips_.in_use(); }

 private:
  struct Drip final : BodySource {
    Drip(DripHandler& handler, uv_loop_t* loop, std::uint32_t slot)
        : owner(handler), timer(loop), index(slot) {}
    Step produce(std::string& out) override;
    void cancel() override;
    void on_timer() { owner.on_timer(*this); }

    DripHandler& owner;
    Timer timer;
    const std::uint32_t index;
    ExchangeRef ref{};
    bool streaming = false;  // headers sent (after the delay): the connection pulls the body
    bool chunked = false;
    std::uint64_t start_ns = 0;  // the request's arrival, then the body's start
    std::uint64_t bytes = 0;
    std::uint64_t sent = 0;
    std::uint64_t duration_ns = 0;
  };

  void on_timer(Drip& drip);
  Response start(Drip& drip, std::uint64_t waited_ns);
  void arm(Drip& drip, std::uint64_t due_ns);

  LoopContext& loop_;
  SlotPool<Drip> drips_;
};

}  // namespace loadlab::server
