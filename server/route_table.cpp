// Which paths reach each route, and which handler answers it.
#include "server/route_table.h"

#include <array>

#include "server/handlers/anything.h"
#include "server/handlers/bytes.h"
#include "server/handlers/delay.h"
#include "server/handlers/drip.h"
#include "server/handlers/fault.h"
#include "server/handlers/health.h"
#include "server/handlers/metrics.h"
#include "server/handlers/prime.h"
#include "server/handlers/status.h"
#include "server/handlers/stream.h"
#include "server/router.h"

namespace loadlab::server {
namespace {

// Tried in this order; the 404 message lists them in it too.
constexpr std::array kRoutePaths = {
    RoutePath{RouteKind::kDelay, PathMatch::kNumber, "", "/N (delay N ms)", parse_delay_route,
              RouteMethods::kWithBody},
    RoutePath{RouteKind::kPrime, PathMatch::kPrefix, "/prime/", "/prime/N", parse_prime_route},
    RoutePath{RouteKind::kHealthz, PathMatch::kExact, "/healthz", "/healthz", nullptr},
    RoutePath{RouteKind::kReadyz, PathMatch::kExact, "/readyz", "/readyz", nullptr},
    RoutePath{RouteKind::kMetrics, PathMatch::kExact, "/metrics", "/metrics", nullptr},
    RoutePath{RouteKind::kStatus, PathMatch::kPrefix, "/status/", "/status/C[:W,...]",
              parse_status_route},
    RoutePath{RouteKind::kAnything, PathMatch::kSubtree, "/anything", "/anything[/...]",
              parse_anything_route, RouteMethods::kAny, /*wants_headers=*/true},
    RoutePath{RouteKind::kBytes, PathMatch::kPrefix, "/bytes/", "/bytes/N", parse_bytes_route},
    RoutePath{RouteKind::kDrip, PathMatch::kExact, "/drip", "/drip", parse_drip_route},
    RoutePath{RouteKind::kStream, PathMatch::kPrefix, "/stream/", "/stream/N", parse_stream_route},
    RoutePath{RouteKind::kFault, PathMatch::kPrefix, "/fault/", "/fault/<kind>", parse_fault_route},
};

}  // namespace

std::span<const RoutePath> route_paths() { return kRoutePaths; }

std::unique_ptr<Handler> make_handler(RouteKind kind, LoopContext& loop) {
  switch (kind) {
    case RouteKind::kDelay:
      return std::make_unique<DelayHandler>(loop);
    case RouteKind::kPrime:
      return std::make_unique<PrimeHandler>(loop);
    case RouteKind::kHealthz:
      return std::make_unique<LivenessHandler>();
    case RouteKind::kReadyz:
      return std::make_unique<ReadinessHandler>(loop);
    case RouteKind::kMetrics:
      return std::make_unique<MetricsHandler>(loop);
    case RouteKind::kStatus:
      return std::make_unique<StatusHandler>(loop);
    case RouteKind::kAnything:
      return std::make_unique<AnythingHandler>(loop);
    case RouteKind::kBytes:
      return std::make_unique<BytesHandler>(loop);
    case RouteKind::kDrip:
      return std::make_unique<DripHandler>(loop);
    case RouteKind::kStream:
      return std::make_unique<StreamHandler>(loop);
    case RouteKind::kFault:
      return std::make_unique<FaultHandler>(loop);
    case RouteKind::kOther:
    case RouteKind::kCount:
      break;
  }
  return nullptr;
}

}  // namespace loadlab::server
