// A parsed http:// or https:// URL, resolved once before the run starts.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace loadlab::loadgen {

struct Target {
  std::string host;           // as written (IPv6 without brackets)
  std::uint16_t port = 80;    // 443 for https:// unless given
  bool tls = false;           // https://
  std::string path_template;  // path and query, still holding {rand:A:B} / {seq} placeholders
  std::string host_header;    // "host[:port]" for the Host header
  sockaddr_storage address{};
};

// Throws std::invalid_argument with a message naming what is wrong (another scheme, missing
// host, bad port, unresolvable host).
Target parse_target(const std::string& url);

}  // namespace loadlab::loadgen
