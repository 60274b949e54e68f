// What a run measured. Each engine thread fills its own RunStats; they merge at the end, and
// reports from several processes or machines merge the same way (lossless histograms).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "common/latency_histogram.h"

namespace loadlab::loadgen {

enum class ErrorKind : std::uint8_t { kConnect, kTimeout, kReset, kParse, kCount };
constexpr std::size_t kErrorKinds = static_cast<std::size_t>(ErrorKind::kCount);
const char* error_kind_name(ErrorKind kind);

struct RunStats {
  LatencyHistogram latency_us;                                   // every response, microseconds
  std::map<int, std::uint64_t> status_codes;
  std::array<std::uint64_t, kErrorKinds> errors{};
  std::map<std::string, LatencyHistogram, std::less<>> server_timing_us;  // by metric name
  std::uint64_t responses = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t connections_opened = 0;
  double start_unix = 0;  // wall-clock seconds
  double end_unix = 0;
  std::uint64_t runs_merged = 1;

  std::uint64_t error_count() const;
  std::uint64_t total() const { return responses + error_count(); }
  double duration_s() const { return end_unix > start_unix ? end_unix - start_unix : 0.0; }
  double throughput() const { return duration_s() > 0 ? static_cast<double>(total()) / duration_s() : 0.0; }

  void record_response(int status, std::uint64_t latency_us_value);
  void record_server_timing(std::string_view header);
  void record_error(ErrorKind kind) { ++errors[static_cast<std::size_t>(kind)]; }
  // Adds another run's measurements; the time span becomes the union of both.
  void merge(const RunStats& other);
};

}  // namespace loadlab::loadgen
