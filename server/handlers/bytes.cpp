#include "server/handlers/bytes.h"

#include <algorithm>

#include "common/decimal.h"
#include "server/loop_context.h"
#include "server/query_params.h"
#include "server/response.h"

namespace loadlab::server {

RouteResult parse_bytes_route(std::string_view count, std::string_view query,
                              const RouterLimits& limits) {
  const auto n = parse_decimal_u64(count);
  if (!n || *n > limits.max_response_bytes) {
    return HttpError{400, "N must be a whole number of bytes from 0 to " +
                              std::to_string(limits.max_response_bytes) + ", got '" +
                              std::string(count.substr(0, 64)) + "'"};
  }
  auto parsed = QueryParams::parse(query, {"seed", "chunked", "chunk"});
  if (auto* error = std::get_if<ParamError>(&parsed)) return HttpError{400, error->message};
  const auto& params = std::get<QueryParams>(parsed);
  Route route{RouteKind::kBytes};
  route.body.bytes = *n;
  const auto seed = params.whole_number("seed", 0, ~std::uint64_t{0}, 0);
  const auto chunked = params.flag("chunked", false);
  const auto chunk = params.whole_number("chunk", 1, kMaxChunkBytes, kDefaultChunkBytes);
  for (const ParamError* error : {std::get_if<ParamError>(&seed), std::get_if<ParamError>(&chunked),
                                  std::get_if<ParamError>(&chunk)}) {
    if (error != nullptr) return HttpError{400, error->message};
  }
  if (params.has("chunk") && !std::get<bool>(chunked)) {
    return HttpError{400, "chunk is the chunk size of a chunked body: it needs chunked=1"};
  }
  route.body.seed = std::get<std::uint64_t>(seed);
  route.body.seeded = params.has("seed");
  route.body.chunk = std::get<bool>(chunked) ? std::get<std::uint64_t>(chunk) : 0;
  return route;
}

BytesHandler::BytesHandler(LoopContext& loop) : loop_(loop), seeds_(uv_hrtime()) {}

Reply BytesHandler::handle(const Request& request) {
  const BodyParams& params = request.route.body;
  Body& body = bodies_.acquire(*this, loop_.loop());
  body.seed = params.seeded ? params.seed : seeds_.next();
  body.seeded = params.seeded;
  body.sent = 0;
  body.length = params.bytes;
  body.piece = params.chunk != 0 ? params.chunk : kBodyPieceBytes;
  std::string& headers = loop_.header_scratch();
  headers.clear();
  headers.append("X-Seed: ");
  append_uint(headers, body.seed);
  headers.append("\r\n");
  Response response{200, "application/octet-stream", {}, headers};
  response.source = &body;
  response.length = params.chunk != 0 ? Response::kChunked : params.bytes;
  return Reply::answer(response);
}

BodySource::Step BytesHandler::Body::produce(std::string& out) {
  const std::uint64_t take = std::min(piece, length - sent);
  const std::string_view kept = seeded ? owner.streams_.range(seed, sent, take) : "";
  if (!kept.empty()) {
    out.append(kept);
  } else {
    append_random_bytes(out, seed, sent, static_cast<std::size_t>(take));
  }
  sent += take;
  if (sent < length) return Step::kMore;
  owner.bodies_.release(*this);
  return Step::kDone;
}

}  // namespace loadlab::server
