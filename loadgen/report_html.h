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

// The talk preset's page: each run's elapsed vs ideal time and its latency spectrum.
struct TalkRow {
  std::string name;
  const RunStats* stats;
  unsigned concurrency;
  double ideal_s;
};
std::string render_talk_html(const std::vector<TalkRow>& rows, const std::string& base_url);

}  // namespace loadlab::loadgen
