#include "server/handlers/delay.h"

#include "common/decimal.h"
#include "server/loop_context.h"
#include "server/response.h"

namespace loadlab::server {

RouteResult parse_delay_route(std::string_view segment, std::string_view,
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
  return Route{RouteKind::kDelay, *delay};
}

Reply DelayHandler::handle(const Request& request) {
  const std::uint64_t delay_ms = request.route.number;
  if (delay_ms == 0) return Reply::answer(respond(0, 0));
  Wait& wait = acquire();
  wait.ref = request.ref;
  wait.start_ns = request.start_ns;
  wait.due_ns = request.start_ns + delay_ms * 1'000'000;
  wait.delay_ms = delay_ms;
  arm(wait, uv_hrtime());
  return Reply::later(wait.index);
}

void DelayHandler::cancel(ExchangeRef, std::uint32_t ticket) {
  Wait& wait = *waits_[ticket];
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
  const Response response = respond(wait.delay_ms, now - wait.start_ns);
  release(
      wait);  // first: the answer may close the connection, which cancels what it still waits for
  loop_.complete(ref, response.status, response.body, response.extra_headers);
}

Response DelayHandler::respond(std::uint64_t delay_ms, std::uint64_t waited_ns) {
  std::string& body = loop_.body_scratch();
  body.clear();
  body.append("{\"delay_ms\":");
  append_uint(body, delay_ms);
  body.append(",\"waited_ms\":");
  append_millis(body, waited_ns);
  body.append("}\n");
  std::string& headers = loop_.header_scratch();
  headers.clear();
  headers.append("Server-Timing: delay;dur=");
  append_millis(headers, waited_ns);
  headers.append("\r\n");
  return Response{200, "application/json", body, headers};
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

void DelayHandler::release(Wait& wait) { idle_.push_back(wait.index); }

}  // namespace loadlab::server
