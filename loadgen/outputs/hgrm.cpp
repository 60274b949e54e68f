#include "loadgen/outputs/hgrm.h"

#include <sstream>

#include "loadgen/outputs/report_input.h"

namespace loadlab::loadgen {

std::string render_hgrm(const RunReport& report) {
  std::ostringstream text;
  report.stats.latency_us.write_hgrm(text);
  return text.str();
}

}  // namespace loadlab::loadgen
