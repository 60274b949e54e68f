// Sentences more than one output says, written once so that the text summary, the HTML page and
// the JSON report cannot drift apart. Each writer adds only its own markup around them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

// What a reader must know to read the numbers right (URLs folded into "(other)", per-URL rows
// that do not cover a merge of older reports); in every output.
std::vector<std::string> report_notes(const RunStats& stats);

// Open loop (--rate), the coordinated-omission warnings. Requests due that never went out:
// "160 requests were due but never sent: every connection was still busy when the run ended."
std::string unsent_warning(std::uint64_t unsent);
// Requests that waited for a connection past their slot, without a full stop (the text
// summary goes on to say what the wait does to the latency):
// "36 requests started late (up to 729.51ms) because every connection was busy"
std::string late_start_warning(std::uint64_t late_starts, std::uint64_t max_start_lag_us);
// The target fell short of the requested rate. The text summary's line names both rates; the
// HTML page has them in the paragraph above its warning.
std::string not_kept_up_warning(const RunStats::RateCheck& rate);
inline constexpr std::string_view kNotKeptUp =
    "The target could not keep up with the requested rate.";

// Why a request was sent twice; `wrap` goes where the text summary breaks its line.
std::string resent_reason(std::string_view wrap = " ");

}  // namespace loadlab::loadgen
