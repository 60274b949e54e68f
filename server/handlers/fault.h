// GET /fault/<kind>: real faults at the TCP level, for client authors to meet without a proxy.
//   reset[?after=MS]          after MS ms, RST (SO_LINGER 0): the client sees ECONNRESET
//   close[?after=MS]          after MS ms, FIN and no response
//   truncate[?bytes=B&after=MS]  Content-Length: B, half the body, then FIN
//   hang                      no answer; closed when the client leaves or --max-delay-ms passes
//   garbage                   bytes that are not HTTP, then FIN
//   slow-headers[?duration=D] status line and headers trickle out over D ms, then the body
// A fault ends only its own connection; requests pipelined behind it are not answered. HEAD
// gets the same faults (truncate and slow-headers then send no body).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/uv_handle.h"
#include "server/handlers/handler.h"
#include "server/handlers/slot_pool.h"

namespace loadlab::server {

RouteResult parse_fault_route(std::string_view kind, std::string_view query,
                              const RouterLimits& limits);

// What /fault/garbage sends: no HTTP parser takes it for a status line.
inline constexpr std::string_view kGarbage =
    "\x16\x03\x01 GARBAGE: this is not an HTTP response \xff\xfe\x00\x01\r\n\r\n";

class FaultHandler final : public Handler {
 public:
  explicit FaultHandler(LoopContext& loop) : loop_(loop) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef ref, std::uint32_t ticket) override;

  std::size_t pending() const { return faults_.in_use(); }

 private:
  struct Fault final : BodySource {
    Fault(FaultHandler& handler, uv_loop_t* loop, std::uint32_t slot)
        : owner(handler), timer(loop), index(slot) {}
    Step produce(std::string& out) override;
    void cancel() override;
    void on_timer() { owner.on_timer(*this); }

    FaultHandler& owner;
    Timer timer;
    const std::uint32_t index;
    ExchangeRef ref{};
    FaultKind kind = FaultKind::kReset;
    bool head_only = false;
    bool sending = false;  // the connection pulls the body (truncate, slow-headers)
    std::uint64_t start_ns = 0;
    std::uint64_t bytes = 0;  // truncate: the promised length
    std::uint64_t sent = 0;
    std::uint64_t duration_ns = 0;
    std::uint64_t head_bytes = 0;  // slow-headers: how much of `text` is the head
    std::string text;              // slow-headers: the whole response
  };

  // The fault itself, once its wait (if any) is over.
  Response strike(Fault& fault);
  Response slow_headers(Fault& fault);
  void on_timer(Fault& fault);
  BodySource::Step produce_truncated(Fault& fault, std::string& out);
  BodySource::Step produce_slow_headers(Fault& fault, std::string& out);

  LoopContext& loop_;
  SlotPool<Fault> faults_;
};

}  // namespace loadlab::server
