// The RFC 9112 / RFC 9110 §5 rules that llhttp (even built in strict mode) does not enforce on
// a request, checked beside it so that an ambiguous message is refused (400 and a close)
// instead of guessed at. docs/rfc9112.md lists every rule and which side checks it.
#pragma once

#include <llhttp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loadlab::server {

struct Rejection {
  int status;
  std::string message;
};

// Watches the octets llhttp consumes outside body data (blank lines before a request, the
// request-line, field lines, chunk-size lines, trailers). llhttp accepts a bare LF after the
// request-line and as the blank line that ends a header or trailer section, ignores extra
// spaces in the request-line and takes obs-fold; this rejects all of those, so every line
// ends in CRLF everywhere (RFC 9112 §2.2, §3, §5.2).
class FramingScanner {
 public:
  // Checks [from, to); the state carries over to the next call. nullopt when valid.
  std::optional<std::string> scan(const char* from, const char* to);
  // The header section just ended (llhttp called on_headers_complete).
  void end_header_section() { section_ = Section::kBody; }
  // Past the header section: field lines now are trailer fields (RFC 9110 §6.5).
  bool past_header_section() const { return section_ == Section::kBody; }
  // Body data follows the octets scanned so far; they are not scanned.
  std::optional<std::string> skip_body();
  // The message is complete: what follows is the next request (or blank lines before it).
  void start_message();

 private:
  enum class Section : std::uint8_t { kLeading, kRequestLine, kFields, kBody };
  std::optional<std::string> on_line_end();

  Section section_ = Section::kLeading;
  bool after_cr_ = false;      // the previous octet was a CR: an LF must follow
  bool at_line_start_ = true;  // the previous octet ended a line
  bool after_space_ = false;   // the previous request-line octet was SP
  std::uint8_t spaces_ = 0;    // SPs in the request-line so far
};

// The per-request checks on fields, version and request-target. Reset at each message.
class RequestValidator {
 public:
  void reset();
  void on_version(std::string_view part) { append_bounded(version_, part, 8); }
  void on_version_complete() { version_complete_ = true; }
  void on_field_name(std::string_view part);
  void on_field_value(std::string_view part);
  std::optional<Rejection> on_field_complete();
  // After the header section: Host, Transfer-Encoding, request-target form (RFC 9112 §3.2,
  // §6.1). `target` is the whole request-target; the router takes an absolute-form target's path.
  std::optional<Rejection> on_headers_complete(const llhttp_t& parser, std::string_view target);
  // The status for an llhttp HPE_INVALID_VERSION: 505 for a well-formed version llhttp does not
  // speak (HTTP/1.2, HTTP/3.0), 400 for a malformed one or a bad line ending after it.
  int invalid_version_status() const;

 private:
  enum class Field : std::uint8_t { kOther, kHost, kTransferEncoding };
  static void append_bounded(std::string& out, std::string_view part, std::size_t bound);

  std::string version_;
  bool version_complete_ = false;
  std::string name_;  // the current field's name (bounded: only a few names matter)
  std::size_t name_length_ = 0;
  Field field_ = Field::kOther;
  std::string host_;               // the Host value (bounded by the header limit)
  std::string transfer_encoding_;  // every Transfer-Encoding line, joined with ","
  unsigned host_lines_ = 0;
  unsigned transfer_encoding_lines_ = 0;
};

// Leading and trailing OWS are not part of a field value (RFC 9110 §5.5); llhttp drops the
// leading ones only.
std::string_view trim_ows(std::string_view value);

}  // namespace loadlab::server
