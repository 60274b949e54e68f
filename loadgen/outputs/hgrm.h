// The latency distribution as HdrHistogram's .hgrm text (--hgrm FILE), the format
// HdrHistogram's plotter and other tools read.
#pragma once

#include <string>

namespace loadlab::loadgen {

struct RunReport;

std::string render_hgrm(const RunReport& report);

}  // namespace loadlab::loadgen
