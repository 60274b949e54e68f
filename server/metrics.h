// Prometheus metrics. Each event loop writes only its own LoopMetrics (single writer, relaxed
// atomics, no contended cache lines on the hot path); a scrape sums every loop's copy.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/route_table.h"
#include "server/router.h"

namespace loadlab::server {

// Prometheus text exposition: a metric's HELP and TYPE lines, and one unlabelled sample.
void append_help(std::string& out, const char* name, const char* type, const char* help);
void append_sample(std::string& out, const char* name, std::uint64_t value);

// The statuses this server answers of itself, and the ones clients most often ask /status and
// /N?status= for; any other is counted as "other" (a fixed set keeps the label's cardinality
// bounded whatever clients ask for).
inline constexpr std::array<int, 30> kTrackedStatuses = {
    200, 201, 202, 204, 206, 301, 302, 304, 307, 308, 400, 401, 403, 404, 405,
    408, 409, 413, 414, 417, 418, 422, 429, 431, 500, 501, 502, 503, 504, 505};
constexpr std::size_t kStatusSlots = kTrackedStatuses.size() + 1;

// Request duration buckets in seconds: the talk's delays span 1 ms to 60 s.
inline constexpr std::array<double, 16> kDurationBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// A counter with one writing thread: a plain load+store instead of a locked read-modify-write.
class LocalCounter {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class LocalGauge {
 public:
  void add(std::int64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::int64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// TLS handshakes by negotiated version, and failures by reason (metric labels).
inline constexpr std::array<const char*, 2> kTlsVersions = {"TLSv1.2", "TLSv1.3"};
enum class TlsFailureReason : std::uint8_t {
  kPlainHttp,  // plain HTTP sent to the HTTPS port (answered with a 400)
  kNotTls,     // anything else that is not TLS (closed)
  kTimeout,    // not done within --header-timeout-ms
  kEof,        // the client closed during the handshake
  kHandshake,  // a protocol error or alert (no common version or cipher, ...)
};
inline constexpr std::array<const char*, 5> kTlsFailureReasons = {"plain_http", "not_tls",
                                                                  "timeout", "eof", "handshake"};

struct LoopMetrics {
  std::array<std::array<LocalCounter, kStatusSlots>, kRouteKinds> requests;
  std::array<std::array<LocalCounter, kDurationBuckets.size() + 1>, kRouteKinds> duration_buckets;
  std::array<LocalCounter, kRouteKinds> duration_sum_us;
  LocalGauge in_flight;
  LocalGauge open_connections;
  LocalGauge queued_response_bytes;  // serialised responses not yet handed to the kernel
  LocalCounter accepted;
  LocalCounter refused;  // over --max-connections, or accept() failed (EMFILE, ...)
  LocalCounter header_timeouts;
  LocalCounter idle_timeouts;
  LocalCounter parse_errors;
  std::array<LocalCounter, kTlsVersions.size()> tls_handshakes;
  std::array<LocalCounter, kTlsFailureReasons.size()> tls_handshake_failures;
  std::array<LocalCounter, kFaultKinds> faults;  // /fault/<kind> requests, by FaultKind

  void record_response(RouteKind route, int status, std::uint64_t duration_ns);
};

// Lines another part of the server (the prime pool) appends to a scrape.
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  virtual void append_prometheus(std::string& out) const = 0;
};

class MetricsRegistry {
 public:
  // `tls`: the TLS samples are rendered only when the server serves HTTPS.
  explicit MetricsRegistry(unsigned loops, bool tls = false);
  LoopMetrics& loop(unsigned index) { return *loops_[index]; }
  void add_source(const MetricsSource* source) { sources_.push_back(source); }
  void render(std::string& out) const;

 private:
  std::vector<std::unique_ptr<LoopMetrics>> loops_;
  std::vector<const MetricsSource*> sources_;
  bool tls_ = false;
};

}  // namespace loadlab::server
