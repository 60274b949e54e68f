// The HTML report (--html FILE): one self-contained page with inline CSS and SVG, no scripts and
// nothing fetched, so it opens offline, attaches to a ticket and prints.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "loadgen/run_stats.h"
#include "loadgen/slo.h"

namespace loadlab::loadgen {

std::string render_html_report(const RunStats& stats, const nlohmann::json& config, const std::vector<SloResult>& slos,
                               const std::string& title);

}  // namespace loadlab::loadgen
