#include "server/handlers/stream.h"

#include "common/decimal.h"
#include "server/handlers/bytes.h"
#include "server/loop_context.h"
#include "server/query_params.h"
#include "server/response.h"

namespace loadlab::server {

RouteResult parse_stream_route(std::string_view count, std::string_view query,
                               const RouterLimits& limits) {
  const auto n = parse_decimal_u64(count);
  if (!n || *n > kMaxStreamLines) {
    return HttpError{400, "N must be a whole number of lines from 0 to " +
                              std::to_string(kMaxStreamLines) + ", got '" +
                              std::string(count.substr(0, 64)) + "'"};
  }
  auto parsed = QueryParams::parse(query, {"delay"});
  if (auto* error = std::get_if<ParamError>(&parsed)) return HttpError{400, error->message};
  const auto delay = std::get<QueryParams>(parsed).whole_number("delay", 0, limits.max_delay_ms, 0);
  if (auto* error = std::get_if<ParamError>(&delay)) return HttpError{400, error->message};
  const std::uint64_t delay_ms = std::get<std::uint64_t>(delay);
  // The last line leaves (N - 1) * MS after the request: bounded like any wait.
  if (*n > 1 && delay_ms * (*n - 1) > limits.max_delay_ms) {
    return HttpError{400, "delay: " + std::to_string(*n) + " lines every " +
                              std::to_string(delay_ms) + " ms would last over the maximum of " +
                              std::to_string(limits.max_delay_ms) + " ms"};
  }
  Route route{RouteKind::kStream, *n};
  route.body.wait_ms = delay_ms;
  return route;
}

Reply StreamHandler::handle(const Request& request) {
  Lines& lines = streams_.acquire(*this, loop_.loop());
  lines.ref = request.ref;
  lines.start_ns = request.start_ns;
  lines.lines = request.route.number;
  lines.sent = 0;
  lines.delay_ms = request.route.body.wait_ms;
  Response response{200, "application/x-ndjson", {}, {}};
  response.source = &lines;
  return Reply::answer(response);
}

BodySource::Step StreamHandler::Lines::produce(std::string& out) {
  const std::uint64_t now = uv_hrtime();
  const std::uint64_t elapsed = now - start_ns;
  // Every line due now, in one piece (a reader that fell behind gets them together).
  const std::size_t before = out.size();
  while (sent < lines && sent * delay_ms * kNanosPerMilli <= elapsed &&
         out.size() - before < kBodyPieceBytes) {
    out.append("{\"id\":");
    append_uint(out, sent);
    out.append(",\"n\":");
    append_uint(out, lines);
    out.append(",\"delay_ms\":");
    append_uint(out, delay_ms);
    out.append(",\"elapsed_ms\":");
    append_millis(out, elapsed);
    out.append("}\n");
    ++sent;
  }
  if (sent == lines) {
    owner.streams_.release(*this);
    return Step::kDone;
  }
  if (out.size() > before) return Step::kMore;
  const std::uint64_t due_ns = start_ns + sent * delay_ms * kNanosPerMilli;
  const std::uint64_t wait_ns = due_ns > now ? due_ns - now : 0;
  timer.start<&Lines::on_timer>(this, (wait_ns + kNanosPerMilli - 1) / kNanosPerMilli);
  return Step::kWait;
}

void StreamHandler::Lines::on_timer() { owner.loop_.body_ready(ref); }

void StreamHandler::Lines::cancel() {
  timer.stop();
  owner.streams_.release(*this);
}

}  // namespace loadlab::server
