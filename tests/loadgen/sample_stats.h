// A small run's statistics that the RunStats and Report tests build on.
#pragma once

#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

// 100 responses from `base` us up (one in ten a 503), one timeout and one Server-Timing entry,
// over the two seconds from `start`.
inline RunStats sample(std::uint64_t base, double start) {
  RunStats stats;
  for (std::uint64_t i = 0; i < 100; ++i) stats.record_response(i % 10 ? 200 : 503, base + i * 37);
  stats.record_error(ErrorKind::kTimeout);
  stats.record_server_timing("delay;dur=12.5");
  stats.start_unix = start;
  stats.end_unix = start + 2;
  return stats;
}

}  // namespace loadlab::loadgen
