#include "loadgen/run_stats.h"

#include <algorithm>
#include <cmath>

#include "common/server_timing.h"

namespace loadlab::loadgen {

const char* error_kind_name(ErrorKind kind) {
  static constexpr const char* kNames[] = {"connect", "timeout", "reset", "parse"};
  return kNames[static_cast<std::size_t>(kind)];
}

std::uint64_t RunStats::error_count() const {
  std::uint64_t total = 0;
  for (auto count : errors) total += count;
  return total;
}

void RunStats::record_response(int status, std::uint64_t latency_us_value) {
  latency_us.record(latency_us_value);
  service_us.record(latency_us_value);
  ++status_codes[status];
  ++responses;
}

IntervalStats& RunStats::interval_at(std::uint64_t since_start_ns) {
  const auto index = static_cast<std::size_t>(since_start_ns / (interval_ms * 1'000'000));
  if (index >= intervals.size()) intervals.resize(index + 1);
  return intervals[index];
}

void RunStats::record_response(int status, std::uint64_t latency_us_value, std::uint64_t service_us_value,
                               std::uint64_t since_start_ns) {
  latency_us.record(latency_us_value);
  service_us.record(service_us_value);
  ++status_codes[status];
  ++responses;
  IntervalStats& interval = interval_at(since_start_ns);
  ++interval.responses;
  interval.latency_us.record(latency_us_value);
}

void RunStats::record_error(ErrorKind kind, std::uint64_t since_start_ns) {
  record_error(kind);
  ++interval_at(since_start_ns).errors;
}

void RunStats::record_server_timing(std::string_view header) {
  for (const auto& metric : parse_server_timing(header)) {
    auto it = server_timing_us.find(metric.name);
    if (it == server_timing_us.end()) it = server_timing_us.emplace(metric.name, LatencyHistogram()).first;
    it->second.record(static_cast<std::uint64_t>(std::llround(metric.duration_ms * 1000.0)));
  }
}

void RunStats::merge(const RunStats& other) {
  latency_us.merge(other.latency_us);
  service_us.merge(other.service_us);
  if (intervals.size() < other.intervals.size()) intervals.resize(other.intervals.size());
  for (std::size_t i = 0; i < other.intervals.size(); ++i) {
    intervals[i].responses += other.intervals[i].responses;
    intervals[i].errors += other.intervals[i].errors;
    intervals[i].latency_us.merge(other.intervals[i].latency_us);
  }
  if (!target_rate) target_rate = other.target_rate;
  max_start_lag_us = std::max(max_start_lag_us, other.max_start_lag_us);
  for (const auto& [status, count] : other.status_codes) status_codes[status] += count;
  for (std::size_t i = 0; i < kErrorKinds; ++i) errors[i] += other.errors[i];
  for (const auto& [name, histogram] : other.server_timing_us) {
    auto it = server_timing_us.find(name);
    if (it == server_timing_us.end()) it = server_timing_us.emplace(name, LatencyHistogram()).first;
    it->second.merge(histogram);
  }
  responses += other.responses;
  bytes_read += other.bytes_read;
  connections_opened += other.connections_opened;
  if (other.start_unix > 0) start_unix = start_unix > 0 ? std::min(start_unix, other.start_unix) : other.start_unix;
  end_unix = std::max(end_unix, other.end_unix);
  runs_merged += other.runs_merged;
}

}  // namespace loadlab::loadgen
