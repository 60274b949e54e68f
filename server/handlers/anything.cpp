#include "server/handlers/anything.h"

#include <nlohmann/json.hpp>

#include "server/loop_context.h"
#include "server/query_params.h"
#include "server/request_validation.h"

namespace loadlab::server {
namespace {

using nlohmann::json;

// A name given once maps to its value; one given again, to the list of its values in order.
void add_field(json& object, const std::string& name, std::string value) {
  const auto it = object.find(name);
  if (it == object.end()) {
    object[name] = std::move(value);
  } else if (it->is_array()) {
    it->push_back(std::move(value));
  } else {
    *it = json::array({std::move(*it), std::move(value)});
  }
}

// Splits "?query" and "#fragment" off the request-target, as the router does.
std::string_view query_of(std::string_view target) {
  if (const auto hash = target.find('#'); hash != std::string_view::npos)
    target = target.substr(0, hash);
  const auto question = target.find('?');
  return question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
}

std::string_view path_of(std::string_view target) {
  if (!target.starts_with('/')) {  // absolute-form: the path after the authority
    const auto scheme_end = target.find("://");
    const auto path_start =
        scheme_end == std::string_view::npos ? scheme_end : target.find('/', scheme_end + 3);
    target =
        path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
  }
  return target.substr(0, target.find_first_of("?#"));
}

}  // namespace

RouteResult parse_anything_route(std::string_view, std::string_view query, const RouterLimits&) {
  const auto parsed = QueryParams::parse_any(query);
  if (const auto* error = std::get_if<ParamError>(&parsed)) return HttpError{400, error->message};
  return Route{RouteKind::kAnything};
}

Reply AnythingHandler::handle(const Request& request) {
  json echo = json::object();
  echo["method"] = request.method;
  echo["target"] = request.target;
  echo["path"] = path_of(request.target);
  const std::string_view query = query_of(request.target);
  echo["query"] = query;
  json args = json::object();
  if (const auto parsed = QueryParams::parse_any(query);
      std::holds_alternative<QueryParams>(parsed)) {
    for (const auto& [name, value] : std::get<QueryParams>(parsed).pairs())
      add_field(args, name, value);
  }
  echo["args"] = std::move(args);
  json headers = json::object();
  for (std::string_view rest = request.headers; !rest.empty();) {
    const auto end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    add_field(headers, std::string(line.substr(0, colon)),
              std::string(trim_ows(line.substr(colon + 1))));
  }
  echo["headers"] = std::move(headers);
  echo["body_bytes"] = request.body_bytes;

  std::string& body = loop_.body_scratch();
  // Targets and header values may hold bytes that are not UTF-8 (obs-text, percent-decoded
  // binary): replaced by U+FFFD rather than letting dump() throw on a client's bytes.
  body = echo.dump(-1, ' ', false, json::error_handler_t::replace);
  body.push_back('\n');
  return Reply::answer(Response{200, "application/json", body, {}});
}

}  // namespace loadlab::server
