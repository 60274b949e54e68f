// Serialises HTTP/1.1 responses into a caller-owned, reused buffer: no allocation once the
// buffer has grown to its working size, no iostreams, no printf on the hot path.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace loadlab::server {

// What the Connection header must say, given the request's version and keep-alive state.
enum class ConnectionHeader : std::uint8_t {
  kOmit,       // HTTP/1.1 keep-alive: the default, nothing to say
  kKeepAlive,  // HTTP/1.0 client that asked for keep-alive (RFC 9112 §9.3)
  kClose,
};

struct ResponseHead {
  int status = 200;
  std::string_view content_type = "application/json";
  std::string_view date;
  ConnectionHeader connection = ConnectionHeader::kOmit;
  std::string_view extra_headers;  // zero or more complete "Name: value\r\n" lines
  bool head_only = false;          // HEAD: headers as for GET, no body (RFC 9110 §9.3.2)
  // A body sent later, piece by piece (its `body` argument is then empty): its length, or
  // chunked, or (to an HTTP/1.0 client) delimited by the close (RFC 9112 §6.3).
  enum class Framing : std::uint8_t { kBody, kLength, kChunked, kUntilClose };
  Framing framing = Framing::kBody;
  std::uint64_t content_length = 0;  // for kLength
};

std::string_view reason_phrase(int status);

// 1xx, 204 and 304: no content, so no body, Content-Length nor Content-Type (RFC 9110 §6.4.1).
bool has_no_content(int status);

// Appends status line, headers (Content-Length, Date, Server, Connection, extras) and body;
// for a status that has no content (has_no_content()), neither body nor Content-Length.
void append_response(std::string& out, const ResponseHead& head, std::string_view body);

// Appends "<size in hex>\r\n": the line before a chunk's data (RFC 9112 §7.1).
void append_chunk_size(std::string& out, std::size_t size);

// Small helpers for building bodies and header values without formatting machinery.
inline void append_uint(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// Fixed three decimals: enough for milliseconds measured with a nanosecond clock.
void append_millis(std::string& out, std::uint64_t nanoseconds);

// {"error":{"status":404,"reason":"Not Found","message":"..."}}
void append_error_body(std::string& out, int status, std::string_view message);

}  // namespace loadlab::server
