// The server's HTTPS configuration, built once at start-up from the --tls-* flags: the one
// TlsContext every loop's TLS connections share, and, with --tls-self-signed, the certificate
// made for this run (its fingerprint logged, its PEM written where clients can trust it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/tls_context.h"
#include "server/config.h"

namespace loadlab::server {

struct ServerTls {
  TlsContext context;
  std::string fingerprint;  // SHA-256 of the certificate, "AB:CD:..."
};

// Null when TLS is off. Throws (TlsSetupError, std::runtime_error) with a message a user can
// act on: an unreadable file, a key that does not match, a bad --tls-name.
std::optional<ServerTls> make_server_tls(const ServerConfig& config);

// The names a self-signed certificate gets without --tls-name: localhost, the loopback
// addresses, and the listen address unless it is a wildcard.
std::vector<std::string> default_tls_names(const std::string& host);

}  // namespace loadlab::server
