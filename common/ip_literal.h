// Whether a host is an IP address literal (IPv4 dotted or IPv6) rather than a name: TLS names
// one with an IP SAN, the other with a DNS SAN and SNI.
#pragma once

#include <arpa/inet.h>

#include <string>

namespace loadlab {

inline bool is_ip_literal(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 ||
         inet_pton(AF_INET6, host.c_str(), address) == 1;
}

}  // namespace loadlab
