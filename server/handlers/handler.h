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

// Handlers take times in milliseconds and keep them in uv_hrtime()'s nanoseconds.
inline constexpr std::uint64_t kNanosPerMilli = 1'000'000;

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

// A body produced as it is sent (after h2o's generators): the connection asks for the next
// piece only when the previous one has been handed to the kernel, so a client that reads
// slowly (or not at all) holds one piece, never the whole body, and a slow body costs no
// memory while it waits. The handler owns the source (a slot it reuses); the connection calls
// it on the loop's thread until produce() says kDone or it calls cancel(), never after.
class BodySource {
 public:
  enum class Step : std::uint8_t {
    kMore,  // a piece was appended: ask again once it is written
    kWait,  // nothing now: the handler calls LoopContext::body_ready(ref) when there is
    kDone,  // the last piece (perhaps empty) was appended: the source is not called again
  };
  // Appends the next piece to `out` (the connection frames it: one chunk when chunked).
  // A piece is at most a few tens of KiB: it is what a slow client holds in memory.
  virtual Step produce(std::string& out) = 0;
  // The connection needs no more (it closed, or the request was HEAD): release the source.
  virtual void cancel() = 0;

 protected:
  ~BodySource() = default;
};

// What becomes of the connection once a response's bytes (if any) are written: the faults
// of /fault/*. Requests pipelined behind it are not answered.
enum class Ending : std::uint8_t {
  kNone,   // keep-alive as usual
  kClose,  // FIN (then the lingering close: read and discard until the peer closes)
  kReset,  // abort with RST (SO_LINGER 0): the client sees ECONNRESET
};

// An answer. The views must stay valid until the connection has copied them, which it does
// before handling anything else: the loop's scratch buffers (LoopContext::body_scratch(),
// header_scratch()) or constants are the usual storage.
struct Response {
  int status = 200;
  std::string_view content_type = "application/json";
  std::string_view body;
  std::string_view extra_headers;  // zero or more complete "Name: value\r\n" lines

  // With a source, the body comes from it instead of `body`: `Content-Length: length`, or
  // chunked when length is kChunked (to HTTP/1.0 clients: no framing, closed after).
  static constexpr std::uint64_t kChunked = ~std::uint64_t{0};
  BodySource* source = nullptr;
  std::uint64_t length = kChunked;
  // The connection writes no status line or headers: `body` (or the source) is every byte
  // sent, and the connection ends after it (as `ending` says, FIN if kNone).
  bool raw = false;
  Ending ending = Ending::kNone;
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
