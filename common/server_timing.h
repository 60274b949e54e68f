// Server-Timing header values (W3C Server Timing): "delay;dur=100.2, queue;dur=0.1".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loadlab {

struct ServerTimingMetric {
  std::string name;
  double duration_ms;
};

// Metrics with a dur parameter, in order; malformed entries are skipped, never fatal.
std::vector<ServerTimingMetric> parse_server_timing(std::string_view header);

}  // namespace loadlab
