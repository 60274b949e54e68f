// The Prometheus text exposition format (version 0.0.4), parsed: what loadlab-loadgen reads
// when it scrapes a target's /metrics during a run, and what its tests read of its own
// endpoint. Every line is checked; the first bad one is an error naming its line number, and
// nothing of the input is trusted beyond what was checked (sizes, escapes, numbers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loadlab {

enum class PromType : std::uint8_t { kUntyped, kCounter, kGauge, kHistogram, kSummary };
const char* prom_type_name(PromType type);

struct PromSample {
  std::string name;                                         // as written, _bucket etc. included
  std::vector<std::pair<std::string, std::string>> labels;  // unescaped, in written order
  double value = 0;                                         // NaN and +-Inf allowed
  std::optional<std::int64_t> timestamp_ms;

  // The label's value, or nullopt when the sample has no such label.
  std::optional<std::string_view> label(std::string_view name) const;
};

struct PromFamily {
  PromType type = PromType::kUntyped;
  std::string help;  // unescaped
};

// One histogram series (a family's samples with the same labels apart from `le`).
struct PromHistogram {
  std::vector<std::pair<std::string, std::string>> labels;  // without `le`
  std::vector<std::pair<double, double>> buckets;           // (le, cumulative count), by le
  double sum = 0;
  double count = 0;
};

struct PromText {
  std::vector<PromSample> samples;
  std::map<std::string, PromFamily, std::less<>> families;  // by name, from HELP and TYPE lines
  std::string error;                                        // empty: parsed
  std::size_t error_line = 0;                               // 1-based; 0 when parsed

  bool ok() const { return error.empty(); }
  // The family a sample belongs to: its name, or for a histogram's or summary's _bucket,
  // _sum and _count samples the name of their declared family.
  std::string_view family_of(const PromSample& sample) const;
  PromType type_of(const PromSample& sample) const;
  // Sum of every sample named `name` whose labels include all of `match` and none of
  // `exclude` (label name, value pairs); nullopt when there is none.
  std::optional<double> sum(
      std::string_view name, const std::vector<std::pair<std::string, std::string>>& match = {},
      const std::vector<std::pair<std::string, std::string>>& exclude = {}) const;
  // The histogram family `name`'s series, from its _bucket, _sum and _count samples.
  std::vector<PromHistogram> histograms(std::string_view name) const;
};

// Lines, or samples, past these are an error: a scrape is a few hundred lines, and a bound
// keeps a runaway target from costing the loadgen unbounded memory.
inline constexpr std::size_t kPromMaxSamples = 200'000;
inline constexpr std::size_t kPromMaxLineBytes = 64 * 1024;
// Labels on one sample (each is checked against the others: a bound keeps that cheap) and
// families (HELP and TYPE names) in one scrape.
inline constexpr std::size_t kPromMaxLabels = 128;
inline constexpr std::size_t kPromMaxFamilies = 100'000;

PromText parse_prometheus_text(std::string_view text);

// A sample value as the format writes it: Go's float syntax, NaN, +Inf, -Inf.
std::optional<double> parse_prom_value(std::string_view text);

}  // namespace loadlab
