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

// The statuses this server can answer; anything else is counted as "other".
inline constexpr std::array<int, 15> kTrackedStatuses = {200, 400, 404, 405, 408, 413, 414, 417,
                                                         431, 500, 501, 502, 503, 504, 505};
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
  explicit MetricsRegistry(unsigned loops);
  LoopMetrics& loop(unsigned index) { return *loops_[index]; }
  void add_source(const MetricsSource* source) { sources_.push_back(source); }
  void render(std::string& out) const;

 private:
  std::vector<std::unique_ptr<LoopMetrics>> loops_;
  std::vector<const MetricsSource*> sources_;
};

}  // namespace loadlab::server
