// Fuzz target: the JSON reports `loadgen merge` reads (from other processes or machines, so
// from anywhere). A document is rejected with std::invalid_argument, or becomes a RunStats that
// merges with another and with itself, and whose merged report can be written again.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

#include "loadgen/outputs/json_report.h"
#include "loadgen/outputs/text_summary.h"
#include "loadgen/run_stats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace loadlab::loadgen;
  const auto document =
      nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return 0;
  try {
    const RunStats stats = report_from_json(document);
    RunStats merged;
    merged.merge(stats);
    merged.merge(stats);
    merged.latency_us.value_at_percentile(99);
    std::ostringstream summary;
    print_summary(summary, merged, "fuzz");
    report_to_json(merged, nlohmann::json::object()).dump();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
