// The route table: every endpoint the server has, one enum value each, and its name (the
// `route` label of its metrics). route_table.cpp says which paths reach each one and which
// handler (server/handlers/) answers it. Adding an endpoint adds a value and a name here, a
// line in each table of route_table.cpp and its handler file: the connection knows none.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace loadlab::server {

enum class RouteKind : std::uint8_t {
  kDelay,     // /N (GET, HEAD, POST, PUT, PATCH, DELETE), ?jitter, ?status
  kPrime,     // GET /prime/N
  kHealthz,   // GET /healthz
  kReadyz,    // GET /readyz
  kMetrics,   // GET /metrics
  kStatus,    // GET /status/C or /status/C1:W1,C2:W2,...
  kAnything,  // /anything[/...], any method: an echo
  kBytes,     // GET /bytes/N
  kDrip,      // GET /drip
  kStream,    // GET /stream/N
  kFault,     // GET /fault/<kind>
  kOther,     // no route took the request (400, 404, 405, 408, ...): answered by the connection
  kCount,
};
inline constexpr std::size_t kRouteKinds = static_cast<std::size_t>(RouteKind::kCount);

// By RouteKind. Prometheus label values: a name that changes breaks dashboards.
inline constexpr std::array<std::string_view, kRouteKinds> kRouteNames = {
    "delay",    "prime", "healthz", "readyz", "metrics", "status",
    "anything", "bytes", "drip",    "stream", "fault",   "other",
};

namespace route_table_detail {
// Every kind has a name (an array shorter than the enum leaves empty ones), names are distinct,
// and they are lower-case identifiers, as a label value is best kept.
constexpr bool names_are_valid() {
  for (std::size_t i = 0; i < kRouteNames.size(); ++i) {
    if (kRouteNames[i].empty()) return false;
    for (const char c : kRouteNames[i]) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (kRouteNames[i] == kRouteNames[j]) return false;
    }
  }
  return true;
}
}  // namespace route_table_detail
static_assert(route_table_detail::names_are_valid(),
              "every RouteKind needs a distinct, non-empty, lower-case name in kRouteNames");

constexpr std::string_view route_name(RouteKind kind) {
  return kRouteNames[static_cast<std::size_t>(kind)];
}

class Handler;
class LoopContext;

// The handler of `kind` for one event loop; null for kOther.
std::unique_ptr<Handler> make_handler(RouteKind kind, LoopContext& loop);

}  // namespace loadlab::server
