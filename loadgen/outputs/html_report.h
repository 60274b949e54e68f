// The HTML report (--html FILE): one self-contained page with inline CSS and SVG, no scripts and
// nothing fetched, so it opens offline, attaches to a ticket and prints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loadgen/run_stats.h"
#include "loadgen/slo.h"

namespace loadlab::loadgen {

struct RunReport;
struct TalkReport;

std::string render_html_report(const RunStats& stats, const nlohmann::json& config,
                               const std::vector<SloResult>& slos, const std::string& title);

// The writers in output_table.cpp: a run's page, and the talk preset's page (each run's
// elapsed vs ideal time and its latency spectrum).
std::string render_html(const RunReport& report);
std::string render_talk_html(const TalkReport& talk);

}  // namespace loadlab::loadgen
