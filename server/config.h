// Everything loadlab-server can be told, built once from flags/environment and then only read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/busy_poll.h"
#include "common/logging.h"

// Declared only: CLI11's header defines objects in every file that includes it, and this one
// is included by every file that reads the configuration.
namespace CLI {
class App;
}  // namespace CLI

namespace loadlab::server {

struct ServerConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;
  unsigned threads = 0;  // 0: one event loop per CPU
  unsigned backlog = 4096;

  std::uint64_t max_delay_ms = 60000;
  // Largest body /bytes, /drip and /fault/truncate send: bodies are produced as they are sent,
  // so this bounds a response's time on the wire, not memory.
  std::uint64_t max_response_bytes = 10 * 1024 * 1024;
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint64_t max_url_bytes = 8 * 1024;
  std::uint64_t max_body_bytes = 1024 * 1024;
  std::uint64_t header_timeout_ms = 10000;
  std::uint64_t keepalive_timeout_ms = 60000;
  std::uint64_t max_connections = 0;  // 0: derived from RLIMIT_NOFILE
  unsigned max_pipeline = 64;         // queued requests per connection before reading pauses
  // Response bytes queued per connection before reading pauses: a client that pipelines
  // requests with large answers (/metrics) and reads nothing costs at most about this much.
  std::uint64_t max_queued_response_bytes = 256 * 1024;
  std::uint64_t drain_timeout_ms = 10000;
  // How long an event loop may spin looking for I/O before it sleeps (common/busy_poll.h);
  // 0: it sleeps at once.
  std::uint64_t busy_poll_us = kDefaultBusyPollUs;

  // /prime worker pool
  unsigned workers = 0;  // 0: one per CPU
  std::uint64_t max_queue = 1024;
  std::uint64_t job_timeout_ms = 10000;

  // HTTPS on a second port (server/tls.h): from PEM files, or a certificate made at start-up.
  std::string tls_cert;  // certificate chain, leaf first
  std::string tls_key;
  std::uint16_t tls_port = 8443;
  bool tls_self_signed = false;
  std::vector<std::string> tls_names;  // empty: localhost and the listen address
  std::string tls_cert_out;            // where the self-signed certificate's PEM goes
  bool tls_enabled() const { return !tls_cert.empty() || tls_self_signed; }

  std::string log_level = "info";
  LogFormat log_format = LogFormat::kText;
  bool access_log = false;
};

// Registers every option with its LOADLAB_* environment variable.
void add_server_options(CLI::App& app, ServerConfig& config);

// Combinations of flags that make no sense (a certificate without its key, ...): the message,
// or "" when the configuration is usable. A usage error (exit 2), like a bad value.
std::string check_tls_options(const ServerConfig& config);

// Fills the zero "auto" values (threads, workers, max_connections) from the machine.
void resolve_defaults(ServerConfig& config);

}  // namespace loadlab::server
