// Fuzz target: the loadgen's HTTP response parser, fed any bytes in any pieces (as reads
// split them), one response after another on a keep-alive connection and then EOF. It must
// never crash, never claim to have consumed more than it was given, and report a status only
// in 100..999 once a response is complete.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/http_response_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool head_request = data[0] & 0x80;
  const std::size_t piece = 1 + (data[0] & 0x3f);  // how the reads split the stream
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  std::size_t left = size - 1;
  loadlab::HttpResponseParser parser;
  parser.expect_response(head_request);
  using Result = loadlab::HttpResponseParser::Result;
  Result result = Result::kNeedMore;
  while (left > 0) {
    const std::size_t length = left < piece ? left : piece;
    std::size_t consumed = 0;
    result = parser.feed(bytes, length, consumed);
    if (consumed > length) std::abort();
    if (result == Result::kError) {
      if (parser.error().empty()) std::abort();
      return 0;
    }
    if (result == Result::kComplete) {
      if (parser.status() < 100 || parser.status() > 999) std::abort();
      parser.expect_response(head_request);  // the next response on the same connection
    }
    // What was not consumed is offered again with the next piece, as a caller would.
    bytes += consumed == 0 && result == Result::kNeedMore ? length : consumed;
    left -= consumed == 0 && result == Result::kNeedMore ? length : consumed;
  }
  if (parser.finish() == Result::kComplete && (parser.status() < 100 || parser.status() > 999))
    std::abort();
  return 0;
}
