#include "server/router.h"

#include "server/query_params.h"

namespace loadlab::server {
namespace {

constexpr std::string_view kAllowed = "GET, HEAD";
constexpr std::string_view kAllowedWithBody = "GET, HEAD, POST, PUT, PATCH, DELETE";

struct Target {
  std::string_view path;
  std::string_view query;
};

Target split_target(std::string_view target) {
  if (const auto hash = target.find('#'); hash != std::string_view::npos)
    target = target.substr(0, hash);
  const auto question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

// "/N" and "/N/" are the delay route; a segment that looks numeric but is not a valid
// delay is a bad number (400), anything else an unknown path (404).
bool looks_numeric(std::string_view segment) {
  return !segment.empty() &&
         ((segment[0] >= '0' && segment[0] <= '9') || segment[0] == '-' || segment[0] == '+');
}

// The route's parameter if `path` is one of its paths.
std::optional<std::string_view> match_path(const RoutePath& route, std::string_view path) {
  switch (route.match) {
    case PathMatch::kExact:
      if (path == route.pattern) return std::string_view{};
      return std::nullopt;
    case PathMatch::kPrefix: {
      if (!path.starts_with(route.pattern)) return std::nullopt;
      std::string_view parameter = path.substr(route.pattern.size());
      if (parameter.ends_with('/')) parameter.remove_suffix(1);
      return parameter;
    }
    case PathMatch::kSubtree: {
      if (!path.starts_with(route.pattern)) return std::nullopt;
      const std::string_view rest = path.substr(route.pattern.size());
      if (rest.empty() || rest[0] == '/') return rest;
      return std::nullopt;
    }
    case PathMatch::kNumber: {
      if (path.size() < 2 || path[0] != '/') return std::nullopt;
      std::string_view segment = path.substr(1);
      if (segment.ends_with('/')) segment.remove_suffix(1);
      if (looks_numeric(segment) && segment.find('/') == std::string_view::npos) return segment;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// The first route one of whose paths `path` is, and its parameter.
struct PathMatchResult {
  const RoutePath* route = nullptr;
  std::string_view parameter;
};

PathMatchResult find_route(std::string_view path) {
  for (const RoutePath& route : route_paths()) {
    if (const auto parameter = match_path(route, path)) return {&route, *parameter};
  }
  return {};
}

HttpError not_found(std::string_view path) {
  std::string message = "no route for '" + std::string(path.substr(0, 128)) + "'; try ";
  bool first = true;
  for (const RoutePath& route : route_paths()) {
    if (!first) message.append(", ");
    message.append(route.usage);
    first = false;
  }
  return HttpError{404, std::move(message)};
}

bool allows(RouteMethods methods, std::string_view method) {
  if (method == "GET" || method == "HEAD") return true;
  switch (methods) {
    case RouteMethods::kGetHead:
      return false;
    case RouteMethods::kWithBody:
      return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
    case RouteMethods::kAny:
      return method != "CONNECT";
  }
  return false;
}

std::string_view allow_header(RouteMethods methods) {
  return methods == RouteMethods::kWithBody ? kAllowedWithBody : kAllowed;
}

// A route that takes no parameters refuses any query: a typo is not ignored silently.
RouteResult without_parameters(RouteKind kind, std::string_view query) {
  if (query.empty()) return Route{kind};
  auto parsed = QueryParams::parse(query, {});
  if (auto* error = std::get_if<ParamError>(&parsed))
    return HttpError{400, std::move(error->message)};
  return Route{kind};  // only empty pairs ("?&")
}

// An absolute-form target (RFC 9112 §3.2.2) carries the path after the authority; nullopt
// for a target that is neither that nor origin-form.
std::optional<std::string_view> origin_form(std::string_view target) {
  if (target.starts_with('/')) return target;
  const auto scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const auto path_start = target.find('/', scheme_end + 3);
  return path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
}

}  // namespace

std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string_view prime_method_name(PrimeMethod method) {
  return method == PrimeMethod::kTrial ? "trial" : "mr";
}

RouteResult route_request(std::string_view method, std::string_view target,
                          const RouterLimits& limits) {
  // The connection lets "*" through only for OPTIONS and an authority-form target only for
  // CONNECT (RFC 9112 §3.2.3, §3.2.4): valid requests for a method no resource here allows.
  if ((target == "*" && method == "OPTIONS") || method == "CONNECT") {
    return HttpError{405, "method " + std::string(method) + " not allowed; use GET or HEAD",
                     kAllowed};
  }
  const auto origin = origin_form(target);
  if (!origin) return HttpError{400, "request-target must be a path starting with '/'"};
  const Target parts = split_target(*origin);
  const PathMatchResult found = find_route(parts.path);
  if (found.route == nullptr) return not_found(parts.path);
  RouteResult result = found.route->parse != nullptr
                           ? found.route->parse(found.parameter, parts.query, limits)
                           : without_parameters(found.route->kind, parts.query);
  if (std::holds_alternative<Route>(result) && !allows(found.route->methods, method)) {
    const std::string_view allow = allow_header(found.route->methods);
    return HttpError{
        405, "method " + std::string(method) + " not allowed; use " + std::string(allow), allow};
  }
  return result;
}

bool route_wants_headers(std::string_view target) {
  const auto origin = origin_form(target);
  if (!origin) return false;
  const PathMatchResult found = find_route(split_target(*origin).path);
  return found.route != nullptr && found.route->wants_headers;
}

}  // namespace loadlab::server
