// --start-at: the wall-clock instant at which every shard of a run starts its schedule, so
// that their time series line up and their open-loop schedules interleave.
#pragma once

#include <string>

namespace loadlab::loadgen {

// "+10s" (a duration as -d takes it, from `now_unix`) or an RFC 3339 time with its offset:
// "2025-05-01T12:00:00Z", "2025-05-01T14:00:00.250+02:00". Returns Unix seconds. Throws
// std::invalid_argument saying what is wrong.
double parse_start_at(const std::string& text, double now_unix);

}  // namespace loadlab::loadgen
