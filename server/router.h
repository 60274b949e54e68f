// Maps a request's method and target to what the server will do, or to the HTTP error that
// says why not. Pure: no I/O, no clocks, so every rule is unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace loadlab::server {

enum class RouteKind : std::uint8_t { kDelay, kPrime, kHealthz, kReadyz, kMetrics };

enum class PrimeMethod : std::uint8_t { kTrial, kMillerRabin };

std::string_view prime_method_name(PrimeMethod method);

struct Route {
  RouteKind kind;
  std::uint64_t number = 0;  // the delay in ms, or the n to test
  PrimeMethod prime_method = PrimeMethod::kTrial;
};

// An expected failure, carried as a value up to the code that answers it.
struct HttpError {
  int status;
  std::string message;
  std::string_view allow = {};  // for 405
};

struct RouterLimits {
  std::uint64_t max_delay_ms;
};

using RouteResult = std::variant<Route, HttpError>;

// method is llhttp's name ("GET", "HEAD", ...); target is the request-target as sent.
RouteResult route_request(std::string_view method, std::string_view target, const RouterLimits& limits);

}  // namespace loadlab::server
