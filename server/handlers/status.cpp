#include "server/handlers/status.h"

#include <limits>

#include "common/decimal.h"
#include "server/loop_context.h"
#include "server/query_params.h"
#include "server/response.h"

namespace loadlab::server {
namespace {

std::string quoted(std::string_view text) {
  constexpr std::size_t kQuotedMax = 64;
  return "'" + std::string(text.substr(0, kQuotedMax)) + (text.size() > kQuotedMax ? "...'" : "'");
}

HttpError bad_choice(std::string_view what, std::string_view text) {
  return HttpError{
      400, std::string(what) + ", got " + quoted(text) +
               " (/status/C or /status/C1:W1,C2:W2,...: codes 200 to 599, weights 0 to " +
               std::to_string(kMaxStatusWeight) + ", at most " + std::to_string(kMaxStatusChoices) +
               " codes)"};
}

}  // namespace

RouteResult parse_status_route(std::string_view choices, std::string_view query,
                               const RouterLimits&) {
  Route route{RouteKind::kStatus};
  if (choices.empty()) return bad_choice("a status code is missing", choices);
  std::uint64_t total = 0;
  for (std::string_view rest = choices;;) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const auto colon = item.find(':');
    const auto code = parse_decimal_u64(item.substr(0, colon));
    if (!code || *code < 200 || *code > 599) {
      return bad_choice("status code must be a whole number from 200 to 599",
                        item.substr(0, colon));
    }
    std::uint64_t weight = 1;
    if (colon != std::string_view::npos) {
      const auto parsed = parse_decimal_u64(item.substr(colon + 1));
      if (!parsed || *parsed > kMaxStatusWeight) {
        return bad_choice(
            "weight must be a whole number from 0 to " + std::to_string(kMaxStatusWeight),
            item.substr(colon + 1));
      }
      weight = *parsed;
    }
    if (route.choice_count == kMaxStatusChoices) {
      return bad_choice("too many status codes (at most " + std::to_string(kMaxStatusChoices) + ")",
                        choices);
    }
    route.choices[route.choice_count++] =
        StatusChoice{static_cast<std::uint16_t>(*code), static_cast<std::uint32_t>(weight)};
    total += weight;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (total == 0) return bad_choice("at least one weight must be above 0", choices);

  auto parsed = QueryParams::parse(query, {"retry_after", "seed"});
  if (const auto* error = std::get_if<ParamError>(&parsed)) return HttpError{400, error->message};
  const QueryParams& params = std::get<QueryParams>(parsed);
  if (params.has("retry_after")) {
    const auto seconds = params.whole_number("retry_after", 0, kMaxRetryAfterSeconds, 0);
    if (const auto* error = std::get_if<ParamError>(&seconds))
      return HttpError{400, error->message};
    route.retry_after_s = std::get<std::uint64_t>(seconds);
  }
  if (params.has("seed")) {
    const auto seed = params.whole_number("seed", 0, std::numeric_limits<std::uint64_t>::max(), 0);
    if (const auto* error = std::get_if<ParamError>(&seed)) return HttpError{400, error->message};
    route.seed = std::get<std::uint64_t>(seed);
  }
  return route;
}

std::uint16_t choose_status(const Route& route, SplitMix64& random) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < route.choice_count; ++i) total += route.choices[i].weight;
  std::uint64_t draw = random.below(total);
  for (std::size_t i = 0; i < route.choice_count; ++i) {
    if (draw < route.choices[i].weight) return route.choices[i].status;
    draw -= route.choices[i].weight;
  }
  return route.choices[route.choice_count - 1].status;  // unreachable: draw < total
}

Reply StatusHandler::handle(const Request& request) {
  const Route& route = request.route;
  std::uint16_t status = route.choices[0].status;
  if (route.choice_count > 1) {
    if (route.seed) {
      SplitMix64 seeded(*route.seed);
      status = choose_status(route, seeded);
    } else {
      status = choose_status(route, random_);
    }
  }
  std::string& body = loop_.body_scratch();
  body.clear();
  body.append("{\"status\":");
  append_uint(body, status);
  body.append(",\"reason\":\"");
  body.append(reason_phrase(status));
  body.append("\"}\n");
  std::string& headers = loop_.header_scratch();
  headers.clear();
  if (route.retry_after_s) {
    headers.append("Retry-After: ");
    append_uint(headers, *route.retry_after_s);
    headers.append("\r\n");
  }
  return Reply::answer(Response{status, "application/json", body, headers});
}

}  // namespace loadlab::server
