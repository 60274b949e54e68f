#include "loadgen/target.h"

#include <netdb.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "common/decimal.h"

namespace loadlab::loadgen {

Target parse_target(const std::string& url) {
  std::string_view rest(url);
  const bool tls = rest.starts_with("https://");
  if (!tls && !rest.starts_with("http://"))
    throw std::invalid_argument("URL must start with http:// or https://: '" + url + "'");
  // It goes into the request line as it is: a space or a control character would split or
  // corrupt the request (encode a space as %20).
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      std::string shown;
      for (const char d : url) {
        char escaped[8];
        if (static_cast<unsigned char>(d) < 0x20 || d == 0x7f) {
          std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(d));
          shown += escaped;
        } else {
          shown += d;
        }
      }
      throw std::invalid_argument(
          "URL contains a space or control character (encode a space as %20): '" + shown + "'");
    }
  }
  rest.remove_prefix(tls ? 8 : 7);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Target target;
  target.tls = tls;
  if (tls) target.port = 443;
  target.path_template = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  target.host_header = std::string(authority);
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw std::invalid_argument("unterminated IPv6 address in '" + url + "'");
    target.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':')
        throw std::invalid_argument("bad authority in '" + url + "'");
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    target.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (target.host.empty()) throw std::invalid_argument("URL has no host: '" + url + "'");
  if (!port_text.empty()) {
    const auto port = parse_decimal_u64(port_text);
    if (!port || *port == 0 || *port > 65535)
      throw std::invalid_argument("bad port in '" + url + "'");
    target.port = static_cast<std::uint16_t>(*port);
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(target.port);
  if (const int rc = getaddrinfo(target.host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw std::invalid_argument("cannot resolve '" + target.host + "': " + gai_strerror(rc));
  }
  std::memcpy(&target.address, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return target;
}

}  // namespace loadlab::loadgen
