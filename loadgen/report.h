// The outputs of a run: the human summary, the versioned JSON report (which holds the
// histograms, so runs merge losslessly) and the HdrHistogram .hgrm text.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>

#include "loadgen/options.h"
#include "loadgen/run_stats.h"
#include "loadgen/slo.h"

namespace loadlab::loadgen {

inline constexpr const char* kReportSchema = "loadlab-report/1";

void print_summary(std::ostream& out, const RunStats& stats, const std::string& title);
// What a reader must know to read the numbers right (URLs folded into "(other)", per-URL rows
// that do not cover a merge of older reports); in every output.
std::vector<std::string> report_notes(const RunStats& stats);
void print_slo_results(std::ostream& out, const std::vector<SloResult>& results);

nlohmann::json options_to_json(const RunOptions& options);
nlohmann::json report_to_json(const RunStats& stats, const nlohmann::json& config,
                              const std::vector<SloResult>& slos = {});
// Throws std::invalid_argument naming what is wrong with the document.
RunStats report_from_json(const nlohmann::json& report);

// Writes `text` to `path`, or to stdout for "-". Throws std::runtime_error if it cannot.
void write_output(const std::string& path, const std::string& text);

}  // namespace loadlab::loadgen
