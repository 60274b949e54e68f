#include "server/handlers/delay.h"

#include <limits>

#include "common/decimal.h"
#include "server/loop_context.h"
#include "server/query_params.h"
#include "server/response.h"

namespace loadlab::server {
std::uint64_t draw_delay(std::uint64_t delay_ms, std::uint64_t jitter_ms, SplitMix64& random) {
  if (jitter_ms == 0) return delay_ms;
  const std::uint64_t low = delay_ms > jitter_ms ? delay_ms - jitter_ms : 0;
  const std::uint64_t high = delay_ms + jitter_ms;
  return low + random.below(high - low + 1);
}

RouteResult parse_delay_route(std::string_view segment, std::string_view query,
                              const RouterLimits& limits) {
  const auto delay = parse_decimal_u64(segment);
  if (!delay) {
    return HttpError{400,
                     "delay must be a whole number of milliseconds (plain decimal digits), got '" +
                         std::string(segment.substr(0, 64)) + "'"};
  }
  if (*delay > limits.max_delay_ms) {
    return HttpError{400, "delay " + std::to_string(*delay) + " ms exceeds the maximum of " +
                              std::to_string(limits.max_delay_ms) + " ms"};
  }
  Route route{RouteKind::kDelay, *delay};
  if (query.empty()) return route;  // the usual /N: nothing to parse, nothing allocated

  auto parsed = QueryParams::parse(query, {"jitter", "status", "seed"});
  if (const auto* error = std::get_if<ParamError>(&parsed)) return HttpError{400, error->message};
  const QueryParams& params = std::get<QueryParams>(parsed);
  const auto jitter = params.whole_number("jitter", 0, limits.max_delay_ms, 0);
  if (const auto* error = std::get_if<ParamError>(&jitter)) return HttpError{400, error->message};
  route.jitter_ms = std::get<std::uint64_t>(jitter);
  if (route.number + route.jitter_ms > limits.max_delay_ms) {
    return HttpError{400, "jitter must be a whole number from 0 to " +
                              std::to_string(limits.max_delay_ms - route.number) +
                              " here: N + jitter (" + std::to_string(route.number) + " + " +
                              std::to_string(route.jitter_ms) +
                              " ms) must not exceed the maximum delay of " +
                              std::to_string(limits.max_delay_ms) + " ms (--max-delay-ms)"};
  }
  const auto status = params.whole_number("status", 200, 599, 200);
  if (const auto* error = std::get_if<ParamError>(&status)) return HttpError{400, error->message};
  route.status = static_cast<std::uint16_t>(std::get<std::uint64_t>(status));
  if (params.has("seed")) {
    const auto seed = params.whole_number("seed", 0, std::numeric_limits<std::uint64_t>::max(), 0);
    if (const auto* error = std::get_if<ParamError>(&seed)) return HttpError{400, error->message};
    route.seed = std::get<std::uint64_t>(seed);
  }
  return route;
}

Reply DelayHandler::handle(const Request& request) {
  const Route& route = request.route;
  Asked asked{route.number, route.jitter_ms, route.number, request.body_bytes, route.status};
  if (route.jitter_ms != 0) {
    if (route.seed) {
      SplitMix64 seeded(*route.seed);
      asked.delay_used_ms = draw_delay(route.number, route.jitter_ms, seeded);
    } else {
      asked.delay_used_ms = draw_delay(route.number, route.jitter_ms, random_);
    }
  }
  if (asked.delay_used_ms == 0) return Reply::answer(respond(asked, 0));
  Wait& wait = acquire();
  wait.ref = request.ref;
  wait.start_ns = request.start_ns;
  wait.due_ns = request.start_ns + asked.delay_used_ms * 1'000'000;
  wait.asked = asked;
  arm(wait, uv_hrtime());
  return Reply::later(wait.index);
}

void DelayHandler::cancel(ExchangeRef ref, std::uint32_t ticket) {
  // A ticket that is not this request's (freed, or another request's since) is ignored:
  // freeing it would let two requests share one timer.
  if (ticket >= waits_.size()) return;
  Wait& wait = *waits_[ticket];
  if (wait.ref.connection_id != ref.connection_id || wait.ref.seq != ref.seq) return;
  wait.timer.stop();
  release(wait);
}

void DelayHandler::arm(Wait& wait, std::uint64_t now_ns) {
  const std::uint64_t remaining_ns = wait.due_ns > now_ns ? wait.due_ns - now_ns : 0;
  wait.timer.start<&Wait::on_timer>(&wait, (remaining_ns + 999'999) / 1'000'000);
}

void DelayHandler::on_timer(Wait& wait) {
  // libuv's timers run on a millisecond loop clock that may lag the precise clock, so the due
  // time is checked against uv_hrtime(): a delay is never answered early.
  const std::uint64_t now = uv_hrtime();
  if (wait.due_ns > now) {
    arm(wait, now);
    return;
  }
  const ExchangeRef ref = wait.ref;
  const Response response = respond(wait.asked, now - wait.start_ns);
  release(
      wait);  // first: the answer may close the connection, which cancels what it still waits for
  loop_.complete(ref, response.status, response.body, response.extra_headers);
}

Response DelayHandler::respond(const Asked& asked, std::uint64_t waited_ns) {
  std::string& body = loop_.body_scratch();
  body.clear();
  body.append("{\"delay_ms\":");
  append_uint(body, asked.delay_ms);
  body.append(",\"jitter_ms\":");
  append_uint(body, asked.jitter_ms);
  body.append(",\"delay_used_ms\":");
  append_uint(body, asked.delay_used_ms);
  body.append(",\"waited_ms\":");
  append_millis(body, waited_ns);
  body.append(",\"body_bytes\":");
  append_uint(body, asked.body_bytes);
  body.append("}\n");
  std::string& headers = loop_.header_scratch();
  headers.clear();
  headers.append("Server-Timing: delay;dur=");
  append_millis(headers, waited_ns);
  headers.append("\r\n");
  // 204 and 304 have no body: the response serialiser leaves it out.
  return Response{asked.status, "application/json", body, headers};
}

DelayHandler::Wait& DelayHandler::acquire() {
  if (idle_.empty()) {
    const auto index = static_cast<std::uint32_t>(waits_.size());
    waits_.push_back(std::make_unique<Wait>(*this, loop_.loop(), index));
    return *waits_.back();
  }
  const std::uint32_t index = idle_.back();
  idle_.pop_back();
  return *waits_[index];
}

void DelayHandler::release(Wait& wait) {
  wait.ref = {};  // connection ids start at 1: no request's
  idle_.push_back(wait.index);
}

}  // namespace loadlab::server
