// Fuzz target: the Prometheus text a scraped target returns (loadgen --scrape). Whatever
// arrives, the parser returns an error naming a line within the input, or samples whose names
// and label names are well formed; the queries the scraper makes of them do not crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/prometheus_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const loadlab::PromText parsed = loadlab::parse_prometheus_text(text);
  if (!parsed.ok()) {
    if (parsed.error_line == 0 || !parsed.samples.empty()) std::abort();
    return 0;
  }
  for (const auto& sample : parsed.samples) {
    if (sample.name.empty()) std::abort();
    for (const auto& [name, value] : sample.labels)
      if (name.empty()) std::abort();
    (void)parsed.type_of(sample);
    (void)parsed.sum(sample.name, {{"code", "200"}}, {{"route", "metrics"}});
  }
  for (const auto& [name, family] : parsed.families) (void)parsed.histograms(name);
  return 0;
}
