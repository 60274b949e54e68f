// Fuzz target: --slo expressions. Each is rejected with std::invalid_argument (saying what is
// wrong) or parses to an objective that can be evaluated and described.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "loadgen/slo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace loadlab::loadgen;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Slo slo = parse_slo(text);
    if (!std::isfinite(slo.threshold)) std::abort();
    if (slo.metric == Slo::Metric::kPercentile && !(slo.percentile > 0 && slo.percentile <= 100))
      std::abort();
    RunStats stats;
    const SloResult result = evaluate_slo(slo, stats);
    if (describe(result).empty()) std::abort();
  } catch (const std::invalid_argument& error) {
    if (std::string_view(error.what()).empty()) std::abort();
  }
  return 0;
}
