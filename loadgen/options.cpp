#include "loadgen/options.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "common/decimal.h"
#include "loadgen/distributed_options.h"
#include "loadgen/flag_bounds.h"
#include "loadgen/off_flag.h"

namespace loadlab::loadgen {
namespace {

// Beyond any machine's reach; they bound the schedule's arithmetic and the run's memory.
// One request every 1000 s: slower is no load test, and 1e-300 would make the schedule's
// arithmetic overflow.
constexpr double kMinRate = 0.001;
// A run's time series holds one histogram per --interval: -d 720h at 10ms would be 259 M.
constexpr std::uint64_t kMaxIntervals = 1'000'000;
constexpr std::uint64_t kMaxDurationMs = 30ULL * 24 * 3'600'000;
constexpr std::uint64_t kMaxRequests = 1'000'000'000'000ULL;
constexpr std::uint64_t kMaxTimeoutMs = 24ULL * 3'600'000;
constexpr std::uint64_t kMaxGraceMs = 10ULL * 60'000;

// "http://host/a" or "3 http://host/a": a URL with an optional weight before it.
constexpr const char* kBlanks = " \t\r\n\v\f";

void read_url_line(const std::string& line, std::size_t number, RunOptions& o) {
  const auto space = line.find_first_of(" \t");
  if (space == std::string::npos || line.starts_with("http")) {
    o.urls.push_back(line);
    o.weights.push_back(1);
    return;
  }
  const auto weight = parse_decimal_u64(std::string_view(line).substr(0, space));
  if (!weight || *weight < 1 || *weight > kMaxUrlWeight) {
    throw std::invalid_argument("--urls-file line " + std::to_string(number) +
                                ": the weight must be a whole number from 1 to " +
                                std::to_string(kMaxUrlWeight) + ", got '" + line.substr(0, space) +
                                "'");
  }
  const auto url = line.find_first_not_of(" \t", space);
  if (url == std::string::npos)
    throw std::invalid_argument("--urls-file line " + std::to_string(number) +
                                ": a weight without a URL");
  o.urls.push_back(line.substr(url));
  o.weights.push_back(static_cast<unsigned>(*weight));
}

}  // namespace

std::uint64_t parse_duration_ms(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const auto number = parse_decimal_u64(std::string_view(text).substr(0, digits));
  const std::string unit = text.substr(digits);
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "s")
    scale = 1000;
  else if (unit == "ms")
    scale = 1;
  else if (unit == "m")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  if (!number || scale == 0 || *number > UINT64_MAX / scale) {
    throw std::invalid_argument("bad duration '" + text + "' (examples: 500ms, 10s, 2m, 1h)");
  }
  return *number * scale;
}

void add_run_options(CLI::App& app, RunOptions& o) {
  app.add_option(
         "url", o.urls,
         "Target URL(s), http:// only, one host:port; {rand:A:B} and {seq} vary each request; "
         "requests take the URLs in turn")
      ->envname("LOADLAB_URL");
  app.add_option("--urls-file", o.urls_file,
                 "File with one URL (template) per line, optionally after an integer "
                 "weight ('3 http://host/a' gets three turns for one of a weight-1 line)")
      ->envname("LOADLAB_URLS_FILE");
  app.add_option("-n,--requests", o.requests, "Total requests (default 1000 unless -d is given)")
      ->envname("LOADLAB_REQUESTS")
      ->check(whole_number_in(1, kMaxRequests));
  app.add_option_function<std::string>(
         "-d,--duration",
         [&o](const std::string& text) { o.duration_ms = parse_duration_ms(text); },
         "Run for this long instead (e.g. 30s, 2m)")
      ->envname("LOADLAB_DURATION")
      ->check(duration_in(1, kMaxDurationMs));
  app.add_option_function<std::string>(
         "--grace", [&o](const std::string& text) { o.grace_ms = parse_duration_ms(text); },
         "At the end of -d (or after Ctrl-C), requests in flight get this long to finish; "
         "then they are cancelled and counted as such (default 1s)")
      ->envname("LOADLAB_GRACE")
      ->check(duration_in(0, kMaxGraceMs));
  app.add_option("-c,--concurrency", o.concurrency,
                 "At most this many requests in flight (connections)")
      ->envname("LOADLAB_CONCURRENCY")
      ->check(whole_number_in(1, kMaxConcurrency))
      ->capture_default_str();
  app.add_option(
         "-r,--rate", o.rate,
         "Open loop: start this many requests per second on schedule, whether or not "
         "earlier ones finished (-c caps the connections); latency counts from the scheduled start")
      ->envname("LOADLAB_RATE")
      ->check(number_in(kMinRate, kMaxRate));
  app.add_option_function<std::string>(
         "--interval", [&o](const std::string& t) { o.interval_ms = parse_duration_ms(t); },
         "Time-series resolution in the reports (default 1s)")
      ->envname("LOADLAB_INTERVAL")
      ->check(duration_in(10, 3'600'000));
  app.add_option("-t,--threads", o.threads,
                 "Event-loop threads, each with its share of the connections")
      ->envname("LOADLAB_THREADS")
      ->check(whole_number_in(1, 256))
      ->capture_default_str();
  app.add_option("-m,--method", o.method, "HTTP method")
      ->envname("LOADLAB_METHOD")
      ->capture_default_str();
  // One value per occurrence, so a URL after "-H 'A: b'" stays a URL.
  app.add_option("-H,--header", o.headers, "Extra request header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--body", o.body, "Request body")->envname("LOADLAB_BODY");
  app.add_option("--body-file", o.body_file, "Request body from a file")
      ->envname("LOADLAB_BODY_FILE");
  app.add_option_function<std::string>(
         "--timeout", [&o](const std::string& t) { o.timeout_ms = parse_duration_ms(t); },
         "Per-request timeout (default 30s)")
      ->envname("LOADLAB_TIMEOUT")
      ->check(duration_in(1, kMaxTimeoutMs));
  app.add_option_function<std::string>(
         "--connect-timeout",
         [&o](const std::string& t) { o.connect_timeout_ms = parse_duration_ms(t); },
         "Connect timeout, counted from each connection's own start (default 5s)")
      ->envname("LOADLAB_CONNECT_TIMEOUT")
      ->check(duration_in(1, kMaxTimeoutMs));
  add_off_flag(app, "--no-keepalive", o.keepalive, "A new connection for every request",
               "LOADLAB_NO_KEEPALIVE");
  app.add_flag("-k,--insecure", o.insecure,
               "https: accept any certificate and host name (no verification)")
      ->envname("LOADLAB_INSECURE");
  app.add_option("--cacert", o.cacert,
                 "https: trust the CA certificate(s) in this PEM file instead of the system store")
      ->envname("LOADLAB_CACERT");
  app.add_option("--cert", o.cert, "https: client certificate (PEM, chain after the leaf)")
      ->envname("LOADLAB_CERT");
  app.add_option("--key", o.key, "https: the client certificate's private key (PEM)")
      ->envname("LOADLAB_KEY");
  app.add_option("--tls-min", o.tls_min, "https: the lowest TLS version accepted (1.2 or 1.3)")
      ->envname("LOADLAB_TLS_MIN")
      ->check(CLI::IsMember({"1.2", "1.3"}))
      ->capture_default_str();
  add_off_flag(app, "--no-tls-resume", o.tls_resume,
               "https: a full handshake on every new connection (no session resumption)",
               "LOADLAB_NO_TLS_RESUME");
  app.add_option("--busy-poll-us", o.busy_poll_us,
                 "Spin up to this long looking for I/O before sleeping, while waits are that short "
                 "(spares the target the cost of waking this client); 0: never spin")
      ->envname("LOADLAB_BUSY_POLL_US")
      ->check(whole_number_in(0, kMaxBusyPollUs))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Seed for {rand} templates: the same seed replays the same URLs")
      ->envname("LOADLAB_SEED")
      ->check(whole_number_in(0, UINT64_MAX));
  add_distributed_options(app, o);
  add_output_options(app, OutputCommand::kRun, o.outputs);
  add_observe_options(app, o.observe);
  app.add_option("--slo", o.slos,
                 "Threshold that sets exit code 3 when breached, e.g. 'p99<250ms', 'errors<1%', "
                 "'rps>1000' (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("-q,--quiet", o.outputs.quiet, "No human summary, no progress line")
      ->envname("LOADLAB_QUIET");
}

void finalize_options(RunOptions& o) {
  if (!o.urls_file.empty()) {
    std::ifstream in(o.urls_file);
    if (!in) throw std::invalid_argument("cannot read --urls-file '" + o.urls_file + "'");
    o.weights.resize(o.urls.size(), 1);
    std::size_t number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      // Blanks around a URL (indentation, a trailing space or CR) are not part of it.
      const auto first = line.find_first_not_of(kBlanks);
      if (first == std::string::npos) continue;
      line = line.substr(first, line.find_last_not_of(kBlanks) - first + 1);
      if (line[0] == '#') continue;
      read_url_line(line, number, o);
    }
  }
  if (o.urls.empty()) throw std::invalid_argument("no URL given");
  o.weights.resize(o.urls.size(), 1);
  if (!o.body_file.empty()) {
    std::ifstream in(o.body_file, std::ios::binary);
    if (!in) throw std::invalid_argument("cannot read --body-file '" + o.body_file + "'");
    std::stringstream text;
    text << in.rdbuf();
    o.body = text.str();
  }
  finalize_distributed_options(o);  // before the -n default: stages set the length of the run
  if (o.requests && o.duration_ms) throw std::invalid_argument("give -n or -d, not both");
  if (!o.requests && !o.duration_ms) o.requests = 1000;
  if (o.requests && *o.requests == 0) throw std::invalid_argument("-n must be at least 1");
  if (o.duration_ms && *o.duration_ms == 0) throw std::invalid_argument("-d must be longer than 0");
  if (o.threads > o.concurrency) o.threads = o.concurrency;
  if (o.timeout_ms == 0 || o.connect_timeout_ms == 0)
    throw std::invalid_argument("--timeout and --connect-timeout must be at least 1ms");
  if (o.interval_ms < 10 || o.interval_ms > 3'600'000) {
    throw std::invalid_argument("--interval must be between 10ms and 1h");
  }
  if (o.duration_ms && *o.duration_ms > kMaxDurationMs)
    throw std::invalid_argument("-d must be at most 30 days");
  if (o.rate && !(std::isfinite(*o.rate) && *o.rate >= kMinRate && *o.rate <= kMaxRate)) {
    throw std::invalid_argument(
        "--rate must be a number of requests per second from 0.001 to 10000000");
  }
  // How long the run is planned to take, where it is known: -d, or -n on a --rate schedule.
  double span_ms = o.duration_ms ? static_cast<double>(*o.duration_ms) : 0;
  std::string span_flags = o.duration_ms ? "-d " + describe_ms(*o.duration_ms) : "";
  if (o.requests && o.rate) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g", *o.rate);
    span_ms = static_cast<double>(*o.requests) / *o.rate * 1000.0;
    span_flags = "-n " + std::to_string(*o.requests) + " at --rate " + rate;
    if (span_ms > static_cast<double>(kMaxDurationMs)) {
      throw std::invalid_argument(
          span_flags + " would take " +
          std::to_string(static_cast<std::uint64_t>(span_ms / 86'400'000)) +
          " days; a schedule may span at most 30 days (raise --rate or lower -n)");
    }
  }
  if (!o.stages.empty()) {
    span_ms = static_cast<double>(stages_duration_ms(o.stages));
    span_flags = "--stages";
  }
  if (const double intervals = span_ms / static_cast<double>(o.interval_ms);
      intervals > static_cast<double>(kMaxIntervals)) {
    throw std::invalid_argument(span_flags + " with --interval " + describe_ms(o.interval_ms) +
                                " makes " + std::to_string(static_cast<std::uint64_t>(intervals)) +
                                " intervals; at most " + std::to_string(kMaxIntervals) +
                                " (raise --interval or shorten the run)");
  }
  for (const auto& header : o.headers) {
    if (header.find(':') == std::string::npos ||
        header.find_first_of("\r\n") != std::string::npos) {
      throw std::invalid_argument("bad header '" + header + "' (expected 'Name: value')");
    }
  }
  if (!o.key.empty() && o.cert.empty())
    throw std::invalid_argument("--key needs --cert (the certificate it belongs to)");
  if (o.tls_min != "1.2" && o.tls_min != "1.3")
    throw std::invalid_argument("--tls-min must be 1.2 or 1.3, got '" + o.tls_min + "'");
  // Shards of one run share a seed derived from the run id (run_identity.h) when given none.
  if (o.seed == 0 && !o.shard.sharded()) o.seed = std::random_device{}() | 1;
}

}  // namespace loadlab::loadgen
