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
  ++status_codes[status];
  ++responses;
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
