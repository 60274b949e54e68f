#include "server/router.h"

#include "common/decimal.h"

#include <optional>

namespace loadlab::server {
namespace {

constexpr std::string_view kAllowed = "GET, HEAD";

struct Target {
  std::string_view path;
  std::string_view query;
};

Target split_target(std::string_view target) {
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  const auto question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

// The value of `key` in an application/x-www-form-urlencoded query, if present.
std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// "/N" and "/N/" are the delay route; a segment that looks numeric but is not a valid
// delay is a bad number (400), anything else an unknown path (404).
bool looks_numeric(std::string_view segment) {
  return !segment.empty() &&
         ((segment[0] >= '0' && segment[0] <= '9') || segment[0] == '-' || segment[0] == '+');
}

RouteResult route_delay(std::string_view segment, const RouterLimits& limits) {
  const auto delay = parse_decimal_u64(segment);
  if (!delay) {
    return HttpError{400, "delay must be a whole number of milliseconds (plain decimal digits), got '" +
                              std::string(segment.substr(0, 64)) + "'"};
  }
  if (*delay > limits.max_delay_ms) {
    return HttpError{400, "delay " + std::to_string(*delay) + " ms exceeds the maximum of " +
                              std::to_string(limits.max_delay_ms) + " ms"};
  }
  return Route{RouteKind::kDelay, *delay};
}

RouteResult route_prime(std::string_view number, std::string_view query) {
  const auto n = parse_decimal_u64(number);
  if (!n) {
    return HttpError{400, "n must be an unsigned 64-bit decimal number, got '" +
                              std::string(number.substr(0, 64)) + "'"};
  }
  PrimeMethod method = PrimeMethod::kTrial;
  if (const auto name = query_value(query, "method")) {
    if (*name == "trial") {
      method = PrimeMethod::kTrial;
    } else if (*name == "mr") {
      method = PrimeMethod::kMillerRabin;
    } else {
      return HttpError{400, "method must be 'trial' or 'mr', got '" + std::string(name->substr(0, 32)) + "'"};
    }
  }
  return Route{RouteKind::kPrime, *n, method};
}

RouteResult route_path(std::string_view path, std::string_view query, const RouterLimits& limits) {
  if (path == "/healthz") return Route{RouteKind::kHealthz};
  if (path == "/readyz") return Route{RouteKind::kReadyz};
  if (path == "/metrics") return Route{RouteKind::kMetrics};

  constexpr std::string_view kPrimePrefix = "/prime/";
  if (path.starts_with(kPrimePrefix)) {
    std::string_view number = path.substr(kPrimePrefix.size());
    if (number.ends_with('/')) number.remove_suffix(1);
    return route_prime(number, query);
  }

  if (path.size() >= 2 && path[0] == '/') {
    std::string_view segment = path.substr(1);
    if (segment.ends_with('/')) segment.remove_suffix(1);
    if (looks_numeric(segment) && segment.find('/') == std::string_view::npos) {
      return route_delay(segment, limits);
    }
  }
  return HttpError{404, "no route for '" + std::string(path.substr(0, 128)) +
                            "'; try /N (delay N ms), /prime/N, /healthz, /readyz, /metrics"};
}

}  // namespace

std::string_view prime_method_name(PrimeMethod method) {
  return method == PrimeMethod::kTrial ? "trial" : "mr";
}

RouteResult route_request(std::string_view method, std::string_view target, const RouterLimits& limits) {
  // The connection lets "*" through only for OPTIONS and an authority-form target only for
  // CONNECT (RFC 9112 §3.2.3, §3.2.4): valid requests for a method no resource here allows.
  if ((target == "*" && method == "OPTIONS") || method == "CONNECT") {
    return HttpError{405, "method " + std::string(method) + " not allowed; use GET or HEAD", kAllowed};
  }
  // An absolute-form target (RFC 9112 §3.2.2) carries the path after the authority.
  if (!target.starts_with('/')) {
    const auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) {
      return HttpError{400, "request-target must be a path starting with '/'"};
    }
    const auto path_start = target.find('/', scheme_end + 3);
    target = path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
  }
  const Target parts = split_target(target);
  RouteResult result = route_path(parts.path, parts.query, limits);
  if (std::holds_alternative<Route>(result) && method != "GET" && method != "HEAD") {
    return HttpError{405, "method " + std::string(method) + " not allowed; use GET or HEAD", kAllowed};
  }
  return result;
}

}  // namespace loadlab::server
