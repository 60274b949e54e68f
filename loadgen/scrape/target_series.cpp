#include "loadgen/scrape/target_series.h"

#include <algorithm>

namespace loadlab::loadgen {

const ScrapedSeries* ScrapeSource::find(const std::string& name) const {
  for (const auto& s : series)
    if (s.name == name) return &s;
  return nullptr;
}

ScrapedSeries& ScrapeSource::series_named(const std::string& name) {
  for (auto& s : series)
    if (s.name == name) return s;
  series.push_back({name, {}});
  return series.back();
}

std::optional<std::uint64_t> ScrapeSource::requests_counted() const {
  if (!requests_by_code) return std::nullopt;
  std::uint64_t total = 0;
  for (const auto& [code, count] : *requests_by_code) total += count;
  return total;
}

void TargetScrape::merge(const TargetScrape& other) {
  sources.insert(sources.end(), other.sources.begin(), other.sources.end());
  for (const auto& note : other.notes)
    if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
}

}  // namespace loadlab::loadgen
