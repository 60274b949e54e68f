// --start-at: the wall-clock instant at which every shard of a run starts its schedule, so
// that their time series line up and their open-loop schedules interleave.
#pragma once

#include <string>

namespace loadlab::loadgen {

// How far from now a start may be. Further ahead is a typo (or a wrong year), not a plan; and
// a process that starts further behind than this would send minutes of backlog in one burst
// (the schedule's origin stays the agreed instant), and a closed loop's time series would
// count from it: give the run a new instant instead.
inline constexpr double kMaxStartAheadS = 24 * 3600;
inline constexpr double kMaxStartBehindS = 10 * 60;

// "+10s" (a duration as -d takes it, from `now_unix`) or an RFC 3339 time with its offset:
// "2025-05-01T12:00:00Z", "2025-05-01T14:00:00.250+02:00". Returns Unix seconds, within
// kMaxStartAheadS after and kMaxStartBehindS before `now_unix`. Throws std::invalid_argument
// saying what is wrong.
double parse_start_at(const std::string& text, double now_unix);

}  // namespace loadlab::loadgen
