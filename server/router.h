// Maps a request's method and target to what the server will do, or to the HTTP error that
// says why not. Pure: no I/O, no clocks, so every rule is unit-tested.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "server/route_table.h"

namespace loadlab::server {

enum class PrimeMethod : std::uint8_t { kTrial, kMillerRabin };

std::string_view prime_method_name(PrimeMethod method);

// One status of /status/C1:W1,C2:W2,... and its integer weight.
struct StatusChoice {
  std::uint16_t status = 0;
  std::uint32_t weight = 0;
};
// A bound on the list, so a route stays a fixed-size value (no allocation per request).
inline constexpr std::size_t kMaxStatusChoices = 32;
// The faults of /fault/<kind> (server/handlers/fault.h), in the order of kFaultNames.
enum class FaultKind : std::uint8_t {
  kReset,
  kClose,
  kTruncate,
  kHang,
  kGarbage,
  kSlowHeaders,
  kCount,
};
inline constexpr std::size_t kFaultKinds = static_cast<std::size_t>(FaultKind::kCount);
// The paths' names, and the `kind` label of loadlab_faults_total.
inline constexpr std::string_view kFaultNames[kFaultKinds] = {"reset", "close",   "truncate",
                                                              "hang",  "garbage", "slow-headers"};

// The parameters of the sized, slow and faulty bodies (/bytes, /drip, /stream, /fault/*).
struct BodyParams {
  std::uint64_t bytes = 0;        // body size (/bytes N, /drip and /fault/truncate bytes)
  std::uint64_t seed = 0;         // /bytes: the generator's seed
  std::uint64_t chunk = 0;        // chunk size when chunked; 0: Content-Length framing
  std::uint64_t duration_ms = 0;  // /drip, /fault/slow-headers: how long the bytes take
  std::uint64_t wait_ms = 0;      // /drip delay, /stream delay, /fault/* after
  bool seeded = false;            // /bytes: seed given (else one is drawn)
  FaultKind fault = FaultKind::kReset;
};

struct Route {
  RouteKind kind;
  std::uint64_t number = 0;  // the delay in ms, the n to test, the count of /stream lines
  PrimeMethod prime_method = PrimeMethod::kTrial;
  std::uint64_t jitter_ms = 0;             // /N?jitter=J
  std::uint16_t status = 200;              // /N?status=C
  std::optional<std::uint64_t> seed = {};  // ?seed=S: the same random choice for the same S
  std::optional<std::uint64_t> retry_after_s = {};  // /status?retry_after=S
  std::uint8_t choice_count = 0;  // /status/...: the first choice_count of choices
  std::array<StatusChoice, kMaxStatusChoices> choices{};
  BodyParams body{};
};

// An expected failure, carried as a value up to the code that answers it.
struct HttpError {
  int status;
  std::string message;
  std::string_view allow = {};  // for 405
};

struct RouterLimits {
  std::uint64_t max_delay_ms;
  std::uint64_t max_response_bytes = 10 * 1024 * 1024;  // --max-response-bytes, for sized bodies
};

using RouteResult = std::variant<Route, HttpError>;

// How a route's path is recognised.
enum class PathMatch : std::uint8_t {
  kExact,    // the path is `pattern`
  kPrefix,   // the path starts with `pattern`; the rest, less one trailing '/', is the parameter
  kNumber,   // "/S" or "/S/" where S, one segment, starts like a number: S is the parameter
  kSubtree,  // the path is `pattern` or starts with `pattern` and '/': the rest is the parameter
};

// The methods a route answers; any other is 405 with `Allow`.
enum class RouteMethods : std::uint8_t {
  kGetHead,   // GET and HEAD (every route answers both)
  kWithBody,  // also POST, PUT, PATCH and DELETE, whose body is read and discarded
  kAny,       // every method llhttp knows, but CONNECT
};

// One line of the route table (route_table.cpp): the paths of one route.
struct RoutePath {
  RouteKind kind;
  PathMatch match;
  std::string_view pattern;
  std::string_view usage;  // how the 404 message names the route
  // Checks the parameter and the query and fills in the route; null for a route that takes none.
  RouteResult (*parse)(std::string_view parameter, std::string_view query,
                       const RouterLimits& limits);
  RouteMethods methods = RouteMethods::kGetHead;
  // The handler reads the request's header fields (Request::headers): the connection keeps
  // them for this route's requests only, so no other request pays for copying them.
  bool wants_headers = false;
};

// The value of `key` in an application/x-www-form-urlencoded query, if present (for parsers).
std::optional<std::string_view> query_value(std::string_view query, std::string_view key);

// In the order they are tried.
std::span<const RoutePath> route_paths();

// method is llhttp's name ("GET", "HEAD", ...); target is the request-target as sent.
RouteResult route_request(std::string_view method, std::string_view target,
                          const RouterLimits& limits);

// Whether the route `target` reaches reads header fields (RoutePath::wants_headers): asked by
// the connection once the request-target is complete. Cheap and allocation-free.
bool route_wants_headers(std::string_view target);

}  // namespace loadlab::server
