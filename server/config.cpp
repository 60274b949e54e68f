#include "server/config.h"

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <map>
#include <thread>

namespace loadlab::server {
namespace {

// File descriptors kept back from max_connections: a base for logs and the process, and per
// event loop (its epoll, eventfd, listener and EMFILE reserve) and per /prime worker (its
// pipes), measured at about 24 for one of each and 144 for 16 of each.
constexpr std::uint64_t kReservedFds = 64;
constexpr std::uint64_t kReservedFdsPerLoop = 6;
constexpr std::uint64_t kReservedFdsPerWorker = 4;
constexpr std::uint64_t kReservedFdsPerTlsLoop = 2;  // the HTTPS listener and its reserve
// Upper bounds for the counts of threads and processes. A fixed bound (not a multiple of the
// CPU count) keeps one configuration valid on every machine of a workshop room. The prime
// jobs are CPU-bound, so workers beyond the cores only add waiting and memory (each worker is
// a process of a few MB, more under sanitizers): 256 is four times the cores of a big
// workstation and still well under a GB; --workers 5000 took all of a machine's memory.
// Event loops likewise: each has its own listener, descriptors and thread.
constexpr unsigned kMaxWorkers = 256;
constexpr unsigned kMaxThreads = 256;
constexpr std::uint64_t kMaxMillis = 86'400'000;  // a day
// subjectAltName entries of a self-signed certificate: a machine's names and addresses fit
// easily; the bound keeps the certificate (sent in every full handshake) small.
constexpr std::size_t kMaxTlsNames = 32;

}  // namespace

void add_server_options(CLI::App& app, ServerConfig& c) {
  app.add_option("--host", c.host, "Address to listen on (IPv4 or IPv6)")
      ->envname("LOADLAB_HOST")
      ->capture_default_str();
  app.add_option("-p,--port", c.port, "TCP port; 0 picks a free one (printed on stdout)")
      ->envname("LOADLAB_PORT")
      ->capture_default_str();
  app.add_option("--threads", c.threads,
                 "Event-loop threads, each with its own listener (0: CPU count)")
      ->envname("LOADLAB_THREADS")
      ->check(CLI::Range(0u, kMaxThreads))
      ->capture_default_str();
  app.add_option("--backlog", c.backlog, "listen(2) backlog per listener")
      ->envname("LOADLAB_BACKLOG")
      ->check(CLI::Range(1u, 65535u))
      ->capture_default_str();
  app.add_option("--max-delay-ms", c.max_delay_ms, "Largest N accepted by GET /N (at most a day)")
      ->envname("LOADLAB_MAX_DELAY_MS")
      ->check(CLI::Range(std::uint64_t{0}, kMaxMillis))
      ->capture_default_str();
  // Bounded like the other sizes: a body the client asks for is produced as it is sent, but a
  // gigabyte at most keeps one request from tying a connection up for minutes.
  app.add_option("--max-response-bytes", c.max_response_bytes,
                 "Largest body of /bytes, /drip and /fault/truncate (at most 1 GiB; 400 beyond)")
      ->envname("LOADLAB_MAX_RESPONSE_BYTES")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-header-bytes", c.max_header_bytes,
                 "Request line + headers limit (431 beyond)")
      ->envname("LOADLAB_MAX_HEADER_BYTES")
      ->check(CLI::Range(std::uint64_t{256}, std::uint64_t{1} << 24))
      ->capture_default_str();
  app.add_option("--max-url-bytes", c.max_url_bytes, "Request-target limit (414 beyond)")
      ->envname("LOADLAB_MAX_URL_BYTES")
      ->check(CLI::Range(std::uint64_t{16}, std::uint64_t{1} << 24))
      ->capture_default_str();
  app.add_option("--max-body-bytes", c.max_body_bytes,
                 "Request body limit; bodies are read and discarded (413 beyond)")
      ->envname("LOADLAB_MAX_BODY_BYTES")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--header-timeout-ms", c.header_timeout_ms,
                 "Time a client has to send a request's headers and body (408 beyond)")
      ->envname("LOADLAB_HEADER_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, kMaxMillis))
      ->capture_default_str();
  app.add_option("--keepalive-timeout-ms", c.keepalive_timeout_ms,
                 "Idle keep-alive connections are closed after this")
      ->envname("LOADLAB_KEEPALIVE_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, kMaxMillis))
      ->capture_default_str();
  app.add_option("--max-connections", c.max_connections,
                 "Open connections across all threads (0: from RLIMIT_NOFILE)")
      ->envname("LOADLAB_MAX_CONNECTIONS")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--busy-poll-us", c.busy_poll_us,
                 "Spin up to this long looking for I/O before sleeping, while waits are that short "
                 "(spares clients the cost of waking the server); 0: never spin")
      ->envname("LOADLAB_BUSY_POLL_US")
      ->check(CLI::Range(std::uint64_t{0}, kMaxBusyPollUs))
      ->capture_default_str();
  app.add_option("--max-pipeline", c.max_pipeline,
                 "Requests queued per connection before reading pauses")
      ->envname("LOADLAB_MAX_PIPELINE")
      ->check(CLI::Range(1u, 4096u))
      ->capture_default_str();
  app.add_option(
         "--max-queued-response-bytes", c.max_queued_response_bytes,
         "Response bytes queued per connection before reading pauses (a client that does not read)")
      ->envname("LOADLAB_MAX_QUEUED_RESPONSE_BYTES")
      ->check(CLI::Range(std::uint64_t{4096}, std::uint64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--drain-timeout-ms", c.drain_timeout_ms,
                 "On SIGINT/SIGTERM, time in-flight requests get to finish")
      ->envname("LOADLAB_DRAIN_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{0}, kMaxMillis))
      ->capture_default_str();
  app.add_option("--workers", c.workers, "Forked /prime worker processes (0: CPU count)")
      ->envname("LOADLAB_WORKERS")
      ->check(CLI::Range(0u, kMaxWorkers))
      ->capture_default_str();
  app.add_option("--max-queue", c.max_queue, "/prime jobs waiting for a worker before 503")
      ->envname("LOADLAB_MAX_QUEUE")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--job-timeout-ms", c.job_timeout_ms,
                 "A /prime job running longer gets 504 and its worker is replaced")
      ->envname("LOADLAB_JOB_TIMEOUT_MS")
      ->check(CLI::Range(std::uint64_t{1}, kMaxMillis))
      ->capture_default_str();
  app.add_option("--tls-cert", c.tls_cert,
                 "Serve HTTPS on --tls-port with this PEM certificate chain (needs --tls-key)")
      ->envname("LOADLAB_TLS_CERT");
  app.add_option("--tls-key", c.tls_key, "The PEM private key of --tls-cert (unencrypted)")
      ->envname("LOADLAB_TLS_KEY");
  app.add_option("--tls-port", c.tls_port,
                 "HTTPS port, beside --port (with --tls-cert or --tls-self-signed); 0 picks a "
                 "free one (printed on stdout)")
      ->envname("LOADLAB_TLS_PORT")
      ->capture_default_str();
  app.add_flag("--tls-self-signed", c.tls_self_signed,
               "Serve HTTPS with a P-256 certificate made at start-up (its SHA-256 fingerprint "
               "is logged)")
      ->envname("LOADLAB_TLS_SELF_SIGNED");
  app.add_option("--tls-name", c.tls_names,
                 "A host name or IP address of the self-signed certificate (repeatable; default: "
                 "localhost and the listen address)")
      ->envname("LOADLAB_TLS_NAME")
      ->delimiter(',')
      ->type_name("NAME");
  app.add_option("--tls-cert-out", c.tls_cert_out,
                 "Write the self-signed certificate (PEM) here, for clients to trust it")
      ->envname("LOADLAB_TLS_CERT_OUT");
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error, critical, off")
      ->envname("LOADLAB_LOG_LEVEL")
      ->capture_default_str();
  app.add_option("--log-format", c.log_format, "text or json")
      ->envname("LOADLAB_LOG_FORMAT")
      ->transform(
          CLI::CheckedTransformer(std::map<std::string, LogFormat>{{"text", LogFormat::kText},
                                                                   {"json", LogFormat::kJson}},
                                  CLI::ignore_case)
              .description(""))
      ->type_name("FORMAT")
      ->default_str("text");
  app.add_flag("--access-log", c.access_log, "Log one line per request (off: it costs throughput)")
      ->envname("LOADLAB_ACCESS_LOG");
}

std::string check_tls_options(const ServerConfig& c) {
  if (!c.tls_cert.empty() && c.tls_key.empty())
    return "--tls-cert needs its private key: --tls-key";
  if (c.tls_cert.empty() && !c.tls_key.empty())
    return "--tls-key needs its certificate: --tls-cert";
  if (c.tls_self_signed && !c.tls_cert.empty())
    return "--tls-self-signed and --tls-cert are alternatives: give one";
  if (!c.tls_self_signed && (!c.tls_names.empty() || !c.tls_cert_out.empty()))
    return "--tls-name and --tls-cert-out describe a certificate made by --tls-self-signed";
  if (c.tls_names.size() > kMaxTlsNames)
    return "--tls-name: at most " + std::to_string(kMaxTlsNames) + " names";
  if (c.tls_enabled() && c.tls_port != 0 && c.tls_port == c.port)
    return "--tls-port must differ from --port";
  return {};
}

void resolve_defaults(ServerConfig& c) {
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  if (c.threads == 0) c.threads = cpus;
  if (c.workers == 0) c.workers = cpus;
  if (c.max_connections == 0) {
    rlimit limit{};
    std::uint64_t fds = 1024;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
      fds = limit.rlim_cur;
    const std::uint64_t reserved =
        kReservedFds +
        (kReservedFdsPerLoop + (c.tls_enabled() ? kReservedFdsPerTlsLoop : 0)) * c.threads +
        kReservedFdsPerWorker * c.workers;
    c.max_connections = fds > 2 * reserved ? fds - reserved : fds / 2;
  }
}

}  // namespace loadlab::server
