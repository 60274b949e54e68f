// The interface between the HTTP/1.1 connection and the endpoints (after h2o's lib/handler/):
// the connection parses and frames, routes a request to the handler its route names in the
// route table, and writes whatever answer comes back; it knows no endpoint. A handler is one
// object per event loop, called on that loop's thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "server/prime_service.h"
#include "server/router.h"

namespace loadlab::server {

class LoopContext;

// One request, as a handler sees it. The views are valid only during Handler::handle().
struct Request {
  ExchangeRef ref;          // the connection and the request's sequence number on it
  const Route& route;       // what the router made of the target: the kind and its parameters
  std::string_view method;  // llhttp's name: "GET", "HEAD", ... as the route allows (HEAD's body is
                            // the connection's)
  std::string_view target;  // the request-target as sent
  std::uint64_t start_ns;   // uv_hrtime() when the request was fully received
  std::uint64_t body_bytes =
      0;  // the request body's length (read and discarded, within --max-body-bytes)
  // The header section as "name:value\r\n" lines, as received (names as sent, values without
  // leading whitespace); collected only for a route that wants_headers, empty for the others.
  std::string_view headers = {};
};

// An answer. The views must stay valid until the connection has copied them, which it does
// before handling anything else: the loop's scratch buffers (LoopContext::body_scratch(),
// header_scratch()) or constants are the usual storage.
struct Response {
  int status = 200;
  std::string_view content_type = "application/json";
  std::string_view body;
  std::string_view extra_headers;  // zero or more complete "Name: value\r\n" lines
};

// What handle() did with a request: answered it, or kept it to answer later.
struct Reply {
  std::optional<Response> now;  // empty: kept
  std::uint32_t ticket = 0;     // a kept request's note, handed back to cancel() and answered()

  static Reply answer(const Response& response) { return Reply{response, 0}; }
  static Reply later(std::uint32_t ticket = 0) { return Reply{std::nullopt, ticket}; }
};

class Handler {
 public:
  virtual ~Handler() = default;

  // Answers now, or keeps the request and answers it later, exactly once, through
  // LoopContext::complete(request.ref, ...) on this loop's thread, unless cancel() comes first.
  virtual Reply handle(const Request& request) = 0;
  // The client left before the answer to a kept request: stop its work, nothing will be sent.
  // Called from the connection's close, for each of its requests still kept, in order.
  virtual void cancel(ExchangeRef ref, std::uint32_t ticket) = 0;
  // The later answer to a kept request has reached its connection.
  virtual void answered(ExchangeRef /*ref*/, std::uint32_t /*ticket*/) {}
};

// A JSON error answer ({"error":{...}}), with `Allow` for a 405 and `Retry-After` for a 503,
// built in the loop's scratch buffers.
Response error_response(LoopContext& loop, int status, std::string_view message,
                        std::string_view allow = {});

}  // namespace loadlab::server
