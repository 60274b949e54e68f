// What an engine thread publishes for --metrics-listen while it runs: plain counters, each
// written by its engine thread alone (a relaxed load and store, no locked instruction on the
// hot path) and read by the endpoint's thread, which sums every engine's copy.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

// Latency buckets in seconds, as Prometheus' classic cumulative `le` buckets: 0.5 ms to 60 s,
// the span of the talk's delays (the same bounds as loadlab-server's own histogram).
inline constexpr std::array<std::uint64_t, 16> kLiveBucketsUs = {
    500,     1'000,   2'500,     5'000,     10'000,    25'000,     50'000,     100'000,
    250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000};

class SingleWriterCounter {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(std::uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

struct LiveMetrics {
  SingleWriterCounter started;    // requests handed to a connection
  SingleWriterCounter responses;  // complete responses, any status
  std::array<SingleWriterCounter, kErrorKinds> errors;
  SingleWriterCounter cancelled;
  std::array<SingleWriterCounter, kLiveBucketsUs.size() + 1> latency_buckets;  // not cumulative
  SingleWriterCounter latency_sum_us;
  SingleWriterCounter backlog;  // open loop: due, waiting for a free connection
  SingleWriterCounter unsent;   // open loop: due and never sent

  void on_response(std::uint64_t latency_us);
  void on_error(ErrorKind kind) { errors[static_cast<std::size_t>(kind)].add(); }
};

// The run as the endpoint shows it.
struct LiveRun {
  double elapsed_s = 0;
  std::optional<double> target_rate;
  bool running = false;  // false before the start and after the end
};

// The Prometheus text exposition of every engine's figures, summed.
void render_live_metrics(std::string& out, std::span<const LiveMetrics* const> engines,
                         const LiveRun& run);

}  // namespace loadlab::loadgen
