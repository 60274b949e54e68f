// The human summary a run prints when it ends (unless -q): counts, throughput, the open-loop
// warnings, latency percentiles with a log-scale histogram, errors, per-URL rows, Server-Timing.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "loadgen/run_stats.h"
#include "loadgen/slo.h"

namespace loadlab::loadgen {

struct RunReport;

void print_summary(std::ostream& out, const RunStats& stats, const std::string& title);
void print_slo_results(std::ostream& out, const std::vector<SloResult>& results);

// The writer in output_table.cpp: the summary, then the SLO verdicts.
std::string render_text_summary(const RunReport& report);

}  // namespace loadlab::loadgen
