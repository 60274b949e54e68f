// GET /stream/N[?delay=MS]: N JSON lines, chunked, line i (from 0) MS*i ms after the request,
// each produced when it falls due and the client has taken the ones before.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/uv_handle.h"
#include "server/handlers/handler.h"
#include "server/handlers/slot_pool.h"

namespace loadlab::server {

// Lines a stream may have: the answer's size stays well under a MiB.
inline constexpr std::uint64_t kMaxStreamLines = 10000;

RouteResult parse_stream_route(std::string_view count, std::string_view query,
                               const RouterLimits& limits);

class StreamHandler final : public Handler {
 public:
  explicit StreamHandler(LoopContext& loop) : loop_(loop) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef, std::uint32_t) override {}  // answers at once: never kept

  std::size_t streaming() const { return streams_.in_use(); }

 private:
  struct Lines final : BodySource {
    Lines(StreamHandler& handler, uv_loop_t* loop, std::uint32_t slot)
        : owner(handler), timer(loop), index(slot) {}
    Step produce(std::string& out) override;
    void cancel() override;
    void on_timer();

    StreamHandler& owner;
    Timer timer;
    const std::uint32_t index;
    ExchangeRef ref{};
    std::uint64_t start_ns = 0;
    std::uint64_t lines = 0;
    std::uint64_t sent = 0;
    std::uint64_t delay_ms = 0;
  };

  LoopContext& loop_;
  SlotPool<Lines> streams_;
};

}  // namespace loadlab::server
