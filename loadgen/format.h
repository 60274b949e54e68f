// Human-readable figures shared by the text summary, the HTML report and the SLO verdicts.
#pragma once

#include <string>

namespace loadlab::loadgen {

// 850us, 12.35ms, 1.204s: three significant-ish digits in the unit that reads best.
std::string format_duration_us(double us);
// 2026-11-25T18:46:43.123Z
std::string iso_time(double unix_seconds);

}  // namespace loadlab::loadgen
