#include "server/handlers/bytes.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/decimal.h"
#include "server/loop_context.h"
#include "server/query_params.h"
#include "server/response.h"

namespace loadlab::server {
namespace {

constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15;

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

std::uint64_t little_endian(std::uint64_t value) {
  if constexpr (std::endian::native == std::endian::big) return __builtin_bswap64(value);
  return value;
}

}  // namespace

void append_random_bytes(std::string& out, std::uint64_t seed, std::uint64_t offset,
                         std::size_t count) {
  const std::size_t at = out.size();
  out.resize(at + count);
  char* to = out.data() + at;
  std::uint64_t word = offset / 8;
  const std::size_t skip = offset % 8;
  if (skip != 0 && count > 0) {  // the tail of a word the last piece began
    const std::uint64_t value = little_endian(mix(seed + (word + 1) * kGamma));
    const std::size_t take = std::min<std::size_t>(8 - skip, count);
    std::memcpy(to, reinterpret_cast<const char*>(&value) + skip, take);
    to += take;
    count -= take;
    ++word;
  }
  // Whole words: the hot loop, with nothing in it but the mix and one 8-byte store (a loop
  // that handled partial words on every step cost three times as many instructions).
  std::uint64_t state = seed + (word + 1) * kGamma;
  for (const char* const end = to + count / 8 * 8; to != end; to += 8, state += kGamma) {
    const std::uint64_t value = little_endian(mix(state));
    std::memcpy(to, &value, 8);
  }
  if (count % 8 != 0) {
    const std::uint64_t value = little_endian(mix(state));
    std::memcpy(to, &value, count % 8);
  }
}

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

BytesHandler::BytesHandler(LoopContext& loop) : loop_(loop), next_seed_(uv_hrtime()) {}

Reply BytesHandler::handle(const Request& request) {
  const BodyParams& params = request.route.body;
  Body& body = bodies_.acquire(*this, loop_.loop());
  body.seed = params.seeded ? params.seed : mix(next_seed_ += kGamma);
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
