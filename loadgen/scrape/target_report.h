// The target's side of a run in the reports: the "target" member of the JSON report (written
// and read back, so it survives `merge`), its lines in the text summary, and its section of
// the HTML report (the scraped series plotted under the client's latency and throughput).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

// null when the run scraped nothing and has nothing to say about it.
nlohmann::json target_to_json(const RunStats& stats);
// Reads what target_to_json wrote (absent or null: nothing). Throws std::invalid_argument.
void target_from_json(const nlohmann::json& report, TargetScrape& target);
// Lines for the human summary ("" when there is nothing to say).
std::string target_summary_text(const RunStats& stats);
// The HTML section ("" when there is nothing to show).
std::string target_html(const RunStats& stats);

}  // namespace loadlab::loadgen
