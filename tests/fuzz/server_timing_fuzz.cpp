// Fuzz target: Server-Timing header values from any server. Whatever arrives, every metric
// returned has a token name and a finite, non-negative duration (reports key JSON, Prometheus
// labels and HTML by these names).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/server_timing.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  for (const auto& metric : loadlab::parse_server_timing(header)) {
    if (metric.name.empty() || !std::isfinite(metric.duration_ms) || metric.duration_ms < 0)
      std::abort();
    for (const char c : metric.name) {
      if (c <= ' ' || c >= 127 || c == ',' || c == ';' || c == '"' || c == '=') std::abort();
    }
  }
  return 0;
}
