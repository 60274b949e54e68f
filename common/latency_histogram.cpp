#include "common/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>

#include "common/json_count.h"

namespace loadlab {

LatencyHistogram::LatencyHistogram(std::uint64_t lowest, std::uint64_t highest,
                                   int significant_digits)
    : lowest_(lowest), highest_(highest), digits_(significant_digits) {
  if (significant_digits < 1 || significant_digits > 5) {
    throw std::invalid_argument("histogram significant digits must be 1..5, got " +
                                std::to_string(significant_digits));
  }
  if (lowest < 1) throw std::invalid_argument("histogram lowest value must be >= 1");
  if (highest < 2 * lowest)
    throw std::invalid_argument("histogram highest value must be >= 2 * lowest");

  // The layout of HdrHistogram: buckets double in width; each holds sub_bucket_count slots of
  // equal width, enough to keep 2 * 10^digits distinct values at unit resolution.
  const double single_unit_range = 2.0 * std::pow(10.0, significant_digits);
  const int sub_bucket_count_magnitude = static_cast<int>(std::ceil(std::log2(single_unit_range)));
  sub_bucket_half_count_magnitude_ =
      (sub_bucket_count_magnitude > 1 ? sub_bucket_count_magnitude : 1) - 1;
  unit_magnitude_ = static_cast<int>(std::floor(std::log2(static_cast<double>(lowest))));
  sub_bucket_count_ = std::size_t{1} << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = (static_cast<std::uint64_t>(sub_bucket_count_) - 1) << unit_magnitude_;
  leading_zero_base_ = 64 - unit_magnitude_ - sub_bucket_half_count_magnitude_ - 1;

  std::uint64_t smallest_untrackable = static_cast<std::uint64_t>(sub_bucket_count_)
                                       << unit_magnitude_;
  bucket_count_ = 1;
  while (smallest_untrackable <= highest) {
    if (smallest_untrackable > std::numeric_limits<std::uint64_t>::max() / 2) {
      ++bucket_count_;
      break;
    }
    smallest_untrackable <<= 1;
    ++bucket_count_;
  }
  slots_ = (bucket_count_ + 1) * sub_bucket_half_count_;
}

void LatencyHistogram::expand() {
  counts_.assign(slots_, 0);
  for (const auto& [index, count] : sparse_) counts_[index] = count;
  sparse_.clear();
  sparse_.shrink_to_fit();
}

void LatencyHistogram::compact() {
  if (counts_.empty()) return;
  const auto used = static_cast<std::size_t>(
      std::count_if(counts_.begin(), counts_.end(), [](auto c) { return c != 0; }));
  if (used * sizeof(decltype(sparse_)::value_type) >= slots_ * sizeof(std::uint64_t))
    return;  // dense is smaller
  sparse_.reserve(used);
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) sparse_.emplace_back(static_cast<std::uint32_t>(i), counts_[i]);
  }
  counts_.clear();
  counts_.shrink_to_fit();
}

std::uint64_t LatencyHistogram::value_at_index(std::size_t index) const {
  std::ptrdiff_t bucket =
      static_cast<std::ptrdiff_t>(index >> sub_bucket_half_count_magnitude_) - 1;
  std::size_t sub_bucket = (index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_count_;
    bucket = 0;
  }
  return static_cast<std::uint64_t>(sub_bucket) << (static_cast<int>(bucket) + unit_magnitude_);
}

std::uint64_t LatencyHistogram::lowest_equivalent(std::uint64_t value) const {
  const std::size_t bucket = bucket_index(value);
  const std::uint64_t sub_bucket = value >> (bucket + unit_magnitude_);
  return sub_bucket << (bucket + unit_magnitude_);
}

std::uint64_t LatencyHistogram::highest_equivalent(std::uint64_t value) const {
  const std::size_t bucket = bucket_index(value);
  const std::uint64_t sub_bucket = value >> (bucket + unit_magnitude_);
  const std::size_t adjusted = sub_bucket >= sub_bucket_count_ ? bucket + 1 : bucket;
  const std::uint64_t width = std::uint64_t{1} << (unit_magnitude_ + static_cast<int>(adjusted));
  return lowest_equivalent(value) + width - 1;
}

LatencyHistogram& LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.total_ == 0) return *this;
  if (same_layout(other)) {
    if (counts_.empty()) expand();
    other.visit_counts([this](std::size_t index, std::uint64_t count) {
      counts_[index] += count;
      return true;
    });
    total_ += other.total_;
    overflow_ += other.overflow_;
  } else {
    other.for_each_bucket(
        [this](const Bucket& bucket) { record(bucket.lowest_equivalent, bucket.count); });
    overflow_ += other.overflow_;
  }
  if (other.min_ < min_) min_ = std::min(other.min_, highest_);
  if (other.max_ > max_) max_ = std::min(other.max_, highest_);
  return *this;
}

void LatencyHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  sparse_.clear();
  total_ = overflow_ = max_ = 0;
  min_ = UINT64_MAX;
}

double LatencyHistogram::mean() const {
  if (total_ == 0) return 0.0;
  long double sum = 0;
  for_each_bucket([&](const Bucket& b) {
    const long double middle =
        b.lowest_equivalent + (b.highest_equivalent - b.lowest_equivalent + 1) / 2;
    sum += middle * b.count;
  });
  return static_cast<double>(sum / total_);
}

double LatencyHistogram::stddev() const {
  if (total_ == 0) return 0.0;
  const long double average = mean();
  long double squares = 0;
  for_each_bucket([&](const Bucket& b) {
    const long double middle =
        b.lowest_equivalent + (b.highest_equivalent - b.lowest_equivalent + 1) / 2;
    squares += (middle - average) * (middle - average) * b.count;
  });
  return std::sqrt(static_cast<double>(squares / total_));
}

std::uint64_t LatencyHistogram::value_at_percentile(double percentile) const {
  if (total_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  auto wanted =
      static_cast<std::uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(total_)));
  if (wanted < 1) wanted = 1;
  std::uint64_t seen = 0;
  std::uint64_t found = max_;
  visit_counts([&](std::size_t index, std::uint64_t count) {
    seen += count;
    if (seen < wanted) return true;
    found = std::min(highest_equivalent(value_at_index(index)), max_);
    return false;
  });
  return found;
}

std::vector<LatencyHistogram::Bucket> LatencyHistogram::buckets() const {
  std::vector<Bucket> out;
  for_each_bucket([&](const Bucket& bucket) { out.push_back(bucket); });
  return out;
}

nlohmann::json LatencyHistogram::to_json() const {
  nlohmann::json buckets = nlohmann::json::array();
  for_each_bucket([&](const Bucket& b) { buckets.push_back({b.lowest_equivalent, b.count}); });
  return {{"lowest", lowest_},
          {"highest", highest_},
          {"significant_digits", digits_},
          {"count", total_},
          {"min", min()},
          {"max", max_},
          {"overflow", overflow_},
          {"buckets", std::move(buckets)}};
}

LatencyHistogram LatencyHistogram::from_json(const nlohmann::json& json) {
  try {
    const std::uint64_t digits = json_count_at(json, "significant_digits");
    LatencyHistogram histogram(
        json_count_at(json, "lowest"), json_count_at(json, "highest"),
        digits > 5 ? 0 : static_cast<int>(digits));  // 0: out of range, refused
    histogram.expand();
    for (const auto& bucket : json.at("buckets")) {
      if (!bucket.is_array() || bucket.size() != 2)
        throw std::invalid_argument("bucket is not [value, count]");
      const auto value = json_count(bucket[0], "bucket value");
      const auto count = json_count(bucket[1], "bucket count");
      if (value > histogram.highest_) throw std::invalid_argument("bucket value above highest");
      histogram.counts_[histogram.counts_index(value)] += count;
      histogram.total_ += count;
    }
    if (histogram.total_ != json_count_at(json, "count")) {
      throw std::invalid_argument("bucket counts do not add up to count");
    }
    if (histogram.total_ > 0) {
      histogram.min_ = json_count_at(json, "min");
      histogram.max_ = json_count_at(json, "max");
    }
    histogram.overflow_ = json_count_or(json, "overflow", 0);
    return histogram;
  } catch (const nlohmann::json::exception& error) {
    throw std::invalid_argument(std::string("malformed histogram JSON: ") + error.what());
  }
}

void LatencyHistogram::write_hgrm(std::ostream& out, double unit_scale,
                                  int ticks_per_half_distance) const {
  char line[160];
  std::snprintf(line, sizeof line, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
                "1/(1-Percentile)");
  out << line;
  const int d = digits_;
  double level = 0.0;  // percentile to report next, as HdrHistogram's PercentileIterator steps
  std::uint64_t cumulative = 0;
  visit_counts([&](std::size_t index, std::uint64_t count) {
    cumulative += count;
    const double value =
        static_cast<double>(highest_equivalent(value_at_index(index))) / unit_scale;
    const double reached = 100.0 * static_cast<double>(cumulative) / static_cast<double>(total_);
    while (reached >= level) {
      std::snprintf(line, sizeof line, "%12.*f %2.12f %10llu %14.2f\n", d, value, level / 100.0,
                    static_cast<unsigned long long>(cumulative), 1.0 / (1.0 - level / 100.0));
      out << line;
      const double halvings = std::floor(std::log2(100.0 / (100.0 - level))) + 1;
      level += 100.0 / (ticks_per_half_distance * std::pow(2.0, halvings));
      if (cumulative == total_) break;  // the last value gets one row here, then the 100% row
    }
    if (cumulative == total_) {
      std::snprintf(line, sizeof line, "%12.*f %2.12f %10llu\n", d, value, 1.0,
                    static_cast<unsigned long long>(cumulative));
      out << line;
    }
    return true;
  });
  std::snprintf(line, sizeof line, "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", d,
                mean() / unit_scale, d, stddev() / unit_scale);
  out << line;
  std::snprintf(line, sizeof line, "#[Max     = %12.*f, Total count    = %12llu]\n", d,
                static_cast<double>(max_) / unit_scale, static_cast<unsigned long long>(total_));
  out << line;
  std::snprintf(line, sizeof line, "#[Buckets = %12zu, SubBuckets     = %12zu]\n", bucket_count_,
                sub_bucket_count_);
  out << line;
}

}  // namespace loadlab
