#include "server/handlers/fault.h"

#include <algorithm>

#include "server/handlers/bytes.h"
#include "server/handlers/drip.h"
#include "server/handlers/random_bytes.h"
#include "server/loop_context.h"
#include "server/query_params.h"
#include "server/response.h"

namespace loadlab::server {
namespace {

std::uint64_t timer_ms(std::uint64_t due_ns) {
  const std::uint64_t now = uv_hrtime();
  return due_ns > now ? (due_ns - now + kNanosPerMilli - 1) / kNanosPerMilli : 0;
}

Response ending(Ending how, std::string_view bytes = {}) {
  Response response;
  response.status = 0;  // never sent: the metrics count it as "other"
  response.raw = true;
  response.body = bytes;
  response.ending = how;
  return response;
}

}  // namespace

RouteResult parse_fault_route(std::string_view kind, std::string_view query,
                              const RouterLimits& limits) {
  const auto* name = std::find(std::begin(kFaultNames), std::end(kFaultNames), kind);
  if (name == std::end(kFaultNames)) {
    return HttpError{404, "no fault '" + std::string(kind.substr(0, 64)) +
                              "'; try reset, close, truncate, hang, garbage or slow-headers"};
  }
  const auto fault = static_cast<FaultKind>(name - std::begin(kFaultNames));
  const auto parsed = [&]() -> ParamResult<QueryParams> {
    switch (fault) {
      case FaultKind::kReset:
      case FaultKind::kClose:
        return QueryParams::parse(query, {"after"});
      case FaultKind::kTruncate:
        return QueryParams::parse(query, {"bytes", "after"});
      case FaultKind::kSlowHeaders:
        return QueryParams::parse(query, {"duration"});
      case FaultKind::kHang:
      case FaultKind::kGarbage:
      case FaultKind::kCount:
        break;
    }
    return QueryParams::parse(query, {});
  }();
  if (const auto* error = std::get_if<ParamError>(&parsed)) return HttpError{400, error->message};
  const auto& params = std::get<QueryParams>(parsed);
  const auto after = params.whole_number("after", 0, limits.max_delay_ms, 0);
  const auto bytes = params.whole_number("bytes", 0, limits.max_response_bytes, 1000);
  const auto duration = params.whole_number("duration", 0, limits.max_delay_ms, 2000);
  for (const ParamError* error : {std::get_if<ParamError>(&after), std::get_if<ParamError>(&bytes),
                                  std::get_if<ParamError>(&duration)}) {
    if (error != nullptr) return HttpError{400, error->message};
  }
  Route route{RouteKind::kFault};
  route.body.fault = fault;
  route.body.wait_ms = std::get<std::uint64_t>(after);
  route.body.bytes = std::get<std::uint64_t>(bytes);
  route.body.duration_ms = std::get<std::uint64_t>(duration);
  return route;
}

Reply FaultHandler::handle(const Request& request) {
  const BodyParams& params = request.route.body;
  loop_.metrics().faults[static_cast<std::size_t>(params.fault)].add();
  if (params.fault == FaultKind::kGarbage) {
    return Reply::answer(ending(Ending::kClose, kGarbage));
  }
  Fault& fault = faults_.acquire(*this, loop_.loop());
  fault.ref = request.ref;
  fault.kind = params.fault;
  fault.head_only = request.method == "HEAD";
  fault.sending = false;
  fault.start_ns = request.start_ns;
  fault.bytes = params.bytes;
  fault.sent = 0;
  fault.duration_ns = params.duration_ms * kNanosPerMilli;
  // A hang lasts as long as the longest wait the server allows.
  const std::uint64_t wait_ms =
      params.fault == FaultKind::kHang ? loop_.config().max_delay_ms : params.wait_ms;
  if (wait_ms == 0 && params.fault != FaultKind::kHang) return Reply::answer(strike(fault));
  fault.timer.start<&Fault::on_timer>(&fault,
                                      timer_ms(request.start_ns + wait_ms * kNanosPerMilli));
  return Reply::later(fault.index);
}

void FaultHandler::cancel(ExchangeRef, std::uint32_t ticket) { faults_[ticket].cancel(); }

void FaultHandler::on_timer(Fault& fault) {
  if (fault.sending) {
    loop_.body_ready(fault.ref);
    return;
  }
  const ExchangeRef ref = fault.ref;
  const Response response = strike(fault);  // may release the slot: ref copied first
  loop_.complete(ref, response);
}

Response FaultHandler::strike(Fault& fault) {
  switch (fault.kind) {
    case FaultKind::kReset:
      fault.cancel();
      return ending(Ending::kReset);
    case FaultKind::kClose:
    case FaultKind::kHang:
    case FaultKind::kGarbage:
    case FaultKind::kCount:
      fault.cancel();
      return ending(Ending::kClose);
    case FaultKind::kTruncate: {
      fault.sending = true;
      Response response{200, "application/octet-stream", {}, {}};
      response.source = &fault;
      response.length = fault.bytes;
      response.ending = Ending::kClose;
      return response;
    }
    case FaultKind::kSlowHeaders:
      return slow_headers(fault);
  }
  return ending(Ending::kClose);
}

Response FaultHandler::slow_headers(Fault& fault) {
  fault.sending = true;
  fault.start_ns = uv_hrtime();
  std::string body = "{\"slow_headers_ms\":";
  append_uint(body, fault.duration_ns / kNanosPerMilli);
  body.append("}\n");
  std::string timing = "Server-Timing: headers;dur=";
  append_uint(timing, fault.duration_ns / kNanosPerMilli);
  timing.append("\r\n");
  ResponseHead head;
  head.date = loop_.date().now();
  // The connection frames nothing here (a raw answer): this one says it closes after it.
  head.connection = ConnectionHeader::kClose;
  head.extra_headers = timing;
  head.head_only = fault.head_only;
  fault.text.clear();
  append_response(fault.text, head, body);
  fault.head_bytes = fault.text.size() - (fault.head_only ? 0 : body.size());
  Response response = ending(Ending::kClose);
  response.status = 200;
  response.source = &fault;
  return response;
}

BodySource::Step FaultHandler::Fault::produce(std::string& out) {
  return kind == FaultKind::kTruncate ? owner.produce_truncated(*this, out)
                                      : owner.produce_slow_headers(*this, out);
}

BodySource::Step FaultHandler::produce_truncated(Fault& fault, std::string& out) {
  const std::uint64_t half = fault.bytes / 2;
  const std::uint64_t take = std::min<std::uint64_t>(half - fault.sent, kBodyPieceBytes);
  append_random_bytes(out, 0, fault.sent, static_cast<std::size_t>(take));
  fault.sent += take;
  if (fault.sent < half) return BodySource::Step::kMore;
  fault.cancel();
  return BodySource::Step::kDone;
}

BodySource::Step FaultHandler::produce_slow_headers(Fault& fault, std::string& out) {
  const std::uint64_t elapsed = uv_hrtime() - fault.start_ns;
  const std::uint64_t due = pieces_due(fault.head_bytes, fault.duration_ns, elapsed);
  if (due >= fault.head_bytes) {  // the head's last byte, and the body with it
    out.append(fault.text, fault.sent);
    fault.cancel();
    return BodySource::Step::kDone;
  }
  if (due > fault.sent) {
    out.append(fault.text, fault.sent, due - fault.sent);
    fault.sent = due;
    return BodySource::Step::kMore;
  }
  fault.timer.start<&Fault::on_timer>(
      &fault,
      timer_ms(fault.start_ns + next_piece_ns(fault.head_bytes, fault.duration_ns, fault.sent)));
  return BodySource::Step::kWait;
}

void FaultHandler::Fault::cancel() {
  timer.stop();
  sending = false;
  if (text.capacity() > 4096) std::string().swap(text);
  owner.faults_.release(*this);
}

}  // namespace loadlab::server
