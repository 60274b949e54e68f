#include "server/request_validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace loadlab::server {
namespace {

// Only a few field names matter here; longer names cannot be one of them.
constexpr std::size_t kNameCompareBytes = 32;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }
bool is_alpha(char c) { return lower(c) >= 'a' && lower(c) <= 'z'; }
bool is_unreserved(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_sub_delim(char c) {
  return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
}

// reg-name = *( unreserved / pct-encoded / sub-delims ), which covers IPv4address (RFC 3986
// §3.2.2).
bool is_reg_name(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
    } else if (!is_unreserved(s[i]) && !is_sub_delim(s[i])) {
      return false;
    }
  }
  return true;
}

// IP-literal = "[" ( IPv6address / IPvFuture ) "]" (RFC 3986 §3.2.2).
bool is_ip_literal_body(std::string_view s) {
  if (s.empty()) return false;
  if (lower(s[0]) == 'v') {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos || dot < 2 || dot + 1 == s.size()) return false;
    return std::all_of(s.begin() + 1, s.begin() + static_cast<std::ptrdiff_t>(dot), is_hex) &&
           std::all_of(s.begin() + static_cast<std::ptrdiff_t>(dot) + 1, s.end(),
                       [](char c) { return is_unreserved(c) || is_sub_delim(c) || c == ':'; });
  }
  // IPv6address: its grammar is inet_pton's (RFC 4291 §2.2); "[1:2]" or "[:::::]" are not hosts.
  char text[INET6_ADDRSTRLEN];
  if (s.size() >= sizeof text) return false;
  s.copy(text, s.size());
  text[s.size()] = '\0';
  in6_addr address;
  return inet_pton(AF_INET6, text, &address) == 1;
}

// Host = uri-host [ ":" port ] (RFC 9110 §7.2). An empty value is valid (a target URI
// without an authority); `require_host` is for the authority of an http(s) URI, whose host
// MUST NOT be empty (RFC 9110 §4.2.1).
bool is_valid_authority(std::string_view value, bool require_host) {
  std::string_view host = value;
  std::string_view port;
  if (!value.empty() && value[0] == '[') {
    const auto close = value.find(']');
    if (close == std::string_view::npos || !is_ip_literal_body(value.substr(1, close - 1)))
      return false;
    host = value.substr(0, close + 1);
    const std::string_view rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
    }
  } else {
    const auto colon = value.find(':');
    if (colon != std::string_view::npos) {
      host = value.substr(0, colon);
      port = value.substr(colon + 1);
    }
    if (!is_reg_name(host)) return false;
  }
  if (require_host && host.empty()) return false;
  return std::all_of(port.begin(), port.end(), is_digit);
}

}  // namespace

std::string_view trim_ows(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// --- FramingScanner --------------------------------------------------------------------------

std::optional<std::string> FramingScanner::scan(const char* from, const char* to) {
  for (const char* p = from; p < to; ++p) {
    if (section_ == Section::kFields && !after_cr_ && !at_line_start_) {
      // Inside a field line only its end matters: find it with memchr instead of a branch per
      // octet (this scan ran at twice llhttp's own cost per request before).
      const auto left = static_cast<std::size_t>(to - p);
      const auto* cr = static_cast<const char*>(std::memchr(p, '\r', left));
      const std::size_t line = cr != nullptr ? static_cast<std::size_t>(cr - p) : left;
      if (std::memchr(p, '\n', line) != nullptr) return "bare LF: lines must end in CRLF";
      if (cr == nullptr) return std::nullopt;
      p = cr;
    }
    const char c = *p;
    if (after_cr_) {
      // RFC 9112 §2.2: a bare CR MUST be treated as invalid (or replaced by SP; we refuse).
      if (c != '\n') return "bare CR: a CR must be followed by LF";
      after_cr_ = false;
      if (auto error = on_line_end()) return error;
      at_line_start_ = true;
      continue;
    }
    if (c == '\r') {
      after_cr_ = true;
      continue;
    }
    // RFC 9112 §2.2 lets a recipient accept a lone LF as a line end; llhttp does so in some
    // places and not others, and a peer that disagrees could frame the message differently.
    if (c == '\n') return "bare LF: lines must end in CRLF";
    if (section_ == Section::kLeading) section_ = Section::kRequestLine;
    if (section_ == Section::kRequestLine) {
      if (c == ' ') {
        // RFC 9112 §3: exactly one SP between method, request-target and version.
        if (after_space_) return "request-line elements must be separated by exactly one space";
        ++spaces_;
        after_space_ = true;
      } else {
        after_space_ = false;
      }
    } else if (at_line_start_ && (c == ' ' || c == '\t')) {
      // RFC 9112 §5.2 obs-fold (or whitespace before the first field, §2.2): refused with 400.
      return "obsolete line folding (a field line starting with whitespace) is not accepted";
    }
    at_line_start_ = false;
  }
  return std::nullopt;
}

std::optional<std::string> FramingScanner::on_line_end() {
  if (section_ != Section::kRequestLine) return std::nullopt;
  if (spaces_ != 2 || after_space_)
    return "the request-line must be: method SP request-target SP HTTP-version";
  section_ = Section::kFields;
  return std::nullopt;
}

std::optional<std::string> FramingScanner::skip_body() {
  if (after_cr_) return "bare CR: a CR must be followed by LF";
  at_line_start_ = false;
  return std::nullopt;
}

void FramingScanner::start_message() {
  section_ = Section::kLeading;
  after_cr_ = false;
  at_line_start_ = true;
  after_space_ = true;  // a request-line that starts with SP is refused
  spaces_ = 0;
}

// --- RequestValidator ------------------------------------------------------------------------

void RequestValidator::append_bounded(std::string& out, std::string_view part, std::size_t bound) {
  if (out.size() <= bound) out.append(part.substr(0, bound + 1 - out.size()));
}

void RequestValidator::reset() {
  version_.clear();
  version_complete_ = false;
  name_.clear();
  name_length_ = 0;
  field_ = Field::kOther;
  host_.clear();
  transfer_encoding_.clear();
  host_lines_ = 0;
  transfer_encoding_lines_ = 0;
}

void RequestValidator::on_field_name(std::string_view part) {
  append_bounded(name_, part, kNameCompareBytes);
  name_length_ += part.size();
}

void RequestValidator::on_field_value(std::string_view part) {
  if (field_ == Field::kOther && name_length_ != 0) {
    // The first piece of this value: the name is complete.
    if (equals_ignore_case(name_, "host")) {
      field_ = Field::kHost;
      ++host_lines_;
    } else if (equals_ignore_case(name_, "transfer-encoding")) {
      field_ = Field::kTransferEncoding;
      if (transfer_encoding_lines_++ != 0) transfer_encoding_.push_back(',');
    }
  }
  // Both stay within the header-size limit that the connection enforces before calling this.
  if (field_ == Field::kHost && host_lines_ == 1) host_.append(part);
  if (field_ == Field::kTransferEncoding) transfer_encoding_.append(part);
}

std::optional<Rejection> RequestValidator::on_field_complete() {
  // field-name = token (RFC 9110 §5.1); llhttp checks the octets but lets an empty name by.
  const bool empty_name = name_length_ == 0;
  // A field without a value never reached on_field_value: classify it here.
  if (field_ == Field::kOther && !empty_name) on_field_value({});
  name_.clear();
  name_length_ = 0;
  field_ = Field::kOther;
  if (empty_name) return Rejection{400, "a field line has an empty field name"};
  return std::nullopt;
}

int RequestValidator::invalid_version_status() const {
  const bool well_formed =
      version_.size() == 3 && is_digit(version_[0]) && version_[1] == '.' && is_digit(version_[2]);
  return well_formed && !version_complete_ ? 505 : 400;
}

std::optional<Rejection> RequestValidator::on_headers_complete(const llhttp_t& parser,
                                                               std::string_view target) {
  const auto method = static_cast<llhttp_method_t>(parser.method);
  const bool http11 = parser.http_major == 1 && parser.http_minor == 1;

  // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, for any request with more than
  // one Host line, and for an invalid Host value.
  if (host_lines_ > 1) return Rejection{400, "more than one Host header field"};
  if (host_lines_ == 0 && http11)
    return Rejection{400, "an HTTP/1.1 request must have a Host header field"};
  if (host_lines_ == 1 && !is_valid_authority(trim_ows(host_), false)) {
    return Rejection{400, "the Host header field is not a valid host[:port]"};
  }

  // RFC 9112 §3.2.1-§3.2.4: which request-target form goes with which method.
  if (target == "*") {
    if (method != HTTP_OPTIONS)
      return Rejection{400, "the asterisk-form request-target is only for OPTIONS"};
  } else if (method == HTTP_CONNECT) {
    if (target.find('/') != std::string_view::npos || !is_valid_authority(target, true) ||
        target.find(':') == std::string_view::npos) {
      return Rejection{400, "CONNECT needs an authority-form request-target (host:port)"};
    }
  } else if (target.empty() || target[0] != '/') {
    const auto scheme_end = target.find("://");
    const std::string_view scheme = target.substr(0, scheme_end);
    if (scheme_end == std::string_view::npos ||
        !(equals_ignore_case(scheme, "http") || equals_ignore_case(scheme, "https"))) {
      return Rejection{
          400, "the request-target must be origin-form (/path) or an http(s) absolute-form URI"};
    }
    const std::size_t authority_start = scheme_end + 3;
    const std::size_t authority_end =
        std::min(target.find_first_of("/?#", authority_start), target.size());
    const std::string_view authority =
        target.substr(authority_start, authority_end - authority_start);
    // RFC 9110 §4.2.4: userinfo in an http(s) URI is treated as an error.
    if (authority.find('@') != std::string_view::npos) {
      return Rejection{400, "userinfo (user@) is not allowed in an http(s) request-target"};
    }
    if (!is_valid_authority(authority, true))
      return Rejection{400, "the request-target's authority is not a valid host[:port]"};
    // RFC 9112 §3.2.2 / §3.3: the target's authority replaces Host (which is still checked
    // above); nothing here depends on either.
  }

  // Checked from the lines seen, not llhttp's flag: an empty Transfer-Encoding sets no flag.
  if (transfer_encoding_lines_ != 0) {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
    if (!http11) return Rejection{400, "Transfer-Encoding is not allowed in an HTTP/1.0 request"};
    std::size_t codings = 0;
    bool last_chunked = false;
    std::string_view list = transfer_encoding_;
    for (;;) {
      const auto comma = list.find(',');
      // Empty list elements are ignored (RFC 9110 §5.6.1).
      const std::string_view coding = trim_ows(list.substr(0, comma));
      if (!coding.empty()) {
        ++codings;
        last_chunked = equals_ignore_case(coding, "chunked");
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    if (codings == 0) return Rejection{400, "the Transfer-Encoding header field is empty"};
    // RFC 9112 §6.3: chunked not last leaves the body length unknown (llhttp refuses it too).
    if (!last_chunked)
      return Rejection{400, "chunked must be the final transfer coding of a request"};
    // RFC 9112 §6.1: a coding this server does not implement before it.
    if (codings > 1) return Rejection{501, "the only transfer coding supported is chunked"};
  }
  return std::nullopt;
}

}  // namespace loadlab::server
