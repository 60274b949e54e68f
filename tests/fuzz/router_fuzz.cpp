// Fuzz target: whatever request-target and method arrive, routing returns a route or an
// error with a status the server knows, and never crashes or reads out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "server/router.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace loadlab::server;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.empty() ? 0 : static_cast<std::uint8_t>(input[0]) % 8;
  const std::string_view method = input.substr(0, std::min(split, input.size()));
  const std::string_view target = input.substr(std::min(split, input.size()));
  const RouteResult result = route_request(method, target, RouterLimits{60000});
  if (const auto* error = std::get_if<HttpError>(&result)) {
    if (error->status != 400 && error->status != 404 && error->status != 405) std::abort();
    if (error->message.empty()) std::abort();
  } else {
    const Route& route = std::get<Route>(result);
    if (route.kind == RouteKind::kDelay && route.number > 60000) std::abort();
  }
  return 0;
}
