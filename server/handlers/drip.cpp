#include "server/handlers/drip.h"

#include <algorithm>

#include "common/uint128.h"
#include "server/handlers/bytes.h"
#include "server/loop_context.h"
#include "server/query_params.h"
#include "server/response.h"

namespace loadlab::server {

// 10 MiB of pieces times a day in ns overflows 64 bits: the products are 128-bit.
std::uint64_t pieces_due(std::uint64_t total, std::uint64_t duration_ns, std::uint64_t elapsed_ns) {
  if (elapsed_ns >= duration_ns) return total;
  return static_cast<std::uint64_t>(static_cast<uint128>(elapsed_ns) * total / duration_ns);
}

std::uint64_t next_piece_ns(std::uint64_t total, std::uint64_t duration_ns, std::uint64_t sent) {
  // The smallest t with floor(t * total / duration) > sent.
  const auto product = static_cast<uint128>(sent + 1) * duration_ns;
  return static_cast<std::uint64_t>((product + total - 1) / total);
}

std::uint64_t drip_gap_ns(std::size_t dripping) {
  return static_cast<std::uint64_t>(dripping) * 1'000'000'000 / kDripWritesPerSecond;
}

std::uint64_t next_write_ns(std::uint64_t total, std::uint64_t duration_ns, std::uint64_t sent,
                            std::uint64_t gap_ns) {
  const std::uint64_t due = next_piece_ns(total, duration_ns, sent);
  if (gap_ns == 0 || due >= duration_ns) return due;
  return duration_ns - (duration_ns - due) / gap_ns * gap_ns;
}

RouteResult parse_drip_route(std::string_view, std::string_view query, const RouterLimits& limits) {
  auto parsed = QueryParams::parse(query, {"bytes", "duration", "delay", "chunked"});
  if (auto* error = std::get_if<ParamError>(&parsed)) return HttpError{400, error->message};
  const auto& params = std::get<QueryParams>(parsed);
  const auto bytes = params.whole_number("bytes", 0, limits.max_response_bytes, 10);
  const auto duration = params.whole_number("duration", 0, limits.max_delay_ms, 2000);
  const auto delay = params.whole_number("delay", 0, limits.max_delay_ms, 0);
  const auto chunked = params.flag("chunked", false);
  for (const ParamError* error :
       {std::get_if<ParamError>(&bytes), std::get_if<ParamError>(&duration),
        std::get_if<ParamError>(&delay), std::get_if<ParamError>(&chunked)}) {
    if (error != nullptr) return HttpError{400, error->message};
  }
  Route route{RouteKind::kDrip};
  route.body.bytes = std::get<std::uint64_t>(bytes);
  route.body.duration_ms = std::get<std::uint64_t>(duration);
  route.body.wait_ms = std::get<std::uint64_t>(delay);
  route.body.chunk = std::get<bool>(chunked) ? 1 : 0;
  return route;
}

Reply DripHandler::handle(const Request& request) {
  const BodyParams& params = request.route.body;
  Drip& drip = drips_.acquire(*this, loop_.loop());
  drip.ref = request.ref;
  drip.streaming = false;
  drip.chunked = params.chunk != 0;
  drip.start_ns = request.start_ns;
  drip.bytes = params.bytes;
  drip.sent = 0;
  drip.duration_ns = params.duration_ms * kNanosPerMilli;
  if (params.wait_ms == 0) return Reply::answer(start(drip, 0));
  arm(drip, request.start_ns + params.wait_ms * kNanosPerMilli);
  return Reply::later(drip.index);
}

void DripHandler::cancel(ExchangeRef, std::uint32_t ticket) { drips_[ticket].cancel(); }

void DripHandler::arm(Drip& drip, std::uint64_t due_ns) {
  const std::uint64_t now = uv_hrtime();
  const std::uint64_t remaining = due_ns > now ? due_ns - now : 0;
  drip.timer.start<&Drip::on_timer>(&drip, (remaining + kNanosPerMilli - 1) / kNanosPerMilli);
}

Response DripHandler::start(Drip& drip, std::uint64_t waited_ns) {
  drip.streaming = true;
  drip.start_ns = uv_hrtime();
  std::string& headers = loop_.header_scratch();
  headers.clear();
  headers.append("Server-Timing: delay;dur=");
  append_millis(headers, waited_ns);
  headers.append("\r\n");
  Response response{200, "application/octet-stream", {}, headers};
  response.source = &drip;
  response.length = drip.chunked ? Response::kChunked : drip.bytes;
  return response;
}

void DripHandler::on_timer(Drip& drip) {
  const std::uint64_t now = uv_hrtime();
  if (drip.streaming) {
    loop_.body_ready(drip.ref);  // the connection pulls what is due now
    return;
  }
  loop_.complete(drip.ref, start(drip, now - drip.start_ns));
}

BodySource::Step DripHandler::Drip::produce(std::string& out) {
  const std::uint64_t elapsed = uv_hrtime() - start_ns;
  const std::uint64_t due = pieces_due(bytes, duration_ns, elapsed);
  if (due > sent) {
    const std::uint64_t take = std::min<std::uint64_t>(due - sent, kBodyPieceBytes);
    out.append(take, '*');
    sent += take;
    if (sent < bytes) return Step::kMore;
  }
  if (sent >= bytes) {
    owner.drips_.release(*this);
    return Step::kDone;
  }
  // libuv's millisecond timers may fire a little early: the due time is checked again then.
  const std::uint64_t gap = drip_gap_ns(owner.drips_.in_use());
  owner.arm(*this, start_ns + next_write_ns(bytes, duration_ns, sent, gap));
  return Step::kWait;
}

void DripHandler::Drip::cancel() {
  timer.stop();
  owner.drips_.release(*this);
}

}  // namespace loadlab::server
