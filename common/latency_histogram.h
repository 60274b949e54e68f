// An HDR-style latency histogram: log-linear buckets as in HdrHistogram, so every value in
// [lowest, highest] keeps `significant_digits` decimal digits of precision while counts stay
// exact, and two histograms with the same layout merge losslessly. loadlab records
// microseconds, 1 us .. 1 h. Not thread-safe: one per thread, merged at the end.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <utility>
#include <vector>

namespace loadlab {

class LatencyHistogram {
 public:
  // 1 us .. 1 h with 3 significant digits: what loadlab records.
  LatencyHistogram() : LatencyHistogram(1, 3'600'000'000ULL, 3) {}
  // Throws std::invalid_argument for digits outside 1..5, lowest < 1, highest < 2 * lowest.
  LatencyHistogram(std::uint64_t lowest, std::uint64_t highest, int significant_digits);

  // Values above highest() are recorded as highest() and counted in overflow().
  void record(std::uint64_t value, std::uint64_t count = 1) {
    if (value > highest_) {
      value = highest_;
      overflow_ += count;
    }
    if (counts_.empty()) expand();
    counts_[counts_index(value)] += count;
    total_ += count;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }

  // Lossless when the layouts match; otherwise each bucket of `other` is re-recorded at its
  // lowest equivalent value (counts stay exact, values round to this layout).
  LatencyHistogram& merge(const LatencyHistogram& other);
  void reset();
  // Keeps only the non-empty buckets (a closed interval of a time series holds a few dozen of
  // the ~3 300 slots a 2-digit histogram has), until the next record() or merge() into it.
  // A histogram starts out compact and empty: it allocates on its first value.
  void compact();

  std::uint64_t count() const { return total_; }
  std::uint64_t overflow() const { return overflow_; }
  std::uint64_t min() const { return total_ == 0 ? 0 : min_; }  // exact recorded extremes
  std::uint64_t max() const { return max_; }
  double mean() const;  // from bucket midpoints, as HdrHistogram does
  double stddev() const;
  // The highest equivalent value of the bucket holding the ceil-rounded percentile's value,
  // capped at max(); 0 when empty. percentile in [0, 100].
  std::uint64_t value_at_percentile(double percentile) const;

  std::uint64_t lowest() const { return lowest_; }
  std::uint64_t highest() const { return highest_; }
  int significant_digits() const { return digits_; }
  bool same_layout(const LatencyHistogram& other) const {
    return lowest_ == other.lowest_ && highest_ == other.highest_ && digits_ == other.digits_;
  }

  struct Bucket {
    std::uint64_t lowest_equivalent;
    std::uint64_t highest_equivalent;
    std::uint64_t count;
  };
  std::vector<Bucket> buckets() const;  // non-empty buckets, ascending
  template <typename F>
  void for_each_bucket(F&& visit) const {
    visit_counts([&](std::size_t index, std::uint64_t count) {
      const std::uint64_t value = value_at_index(index);
      visit(Bucket{value, highest_equivalent(value), count});
      return true;
    });
  }
  std::uint64_t lowest_equivalent(std::uint64_t value) const;
  std::uint64_t highest_equivalent(std::uint64_t value) const;

  // {"lowest","highest","significant_digits","count","min","max","overflow",
  //  "buckets":[[lowest_equivalent,count],...]}; from_json throws std::invalid_argument.
  nlohmann::json to_json() const;
  static LatencyHistogram from_json(const nlohmann::json& json);

  // HdrHistogram's percentile-distribution text (.hgrm), as outputPercentileDistribution
  // writes it; values divided by unit_scale (1000: microseconds to milliseconds).
  void write_hgrm(std::ostream& out, double unit_scale = 1000.0,
                  int ticks_per_half_distance = 5) const;

 private:
  // Calls visit(index, count) for each non-empty slot in ascending order, dense or compact,
  // until it returns false.
  template <typename F>
  void visit_counts(F&& visit) const {
    if (counts_.empty()) {
      for (const auto& [index, count] : sparse_) {
        if (!visit(static_cast<std::size_t>(index), count)) return;
      }
      return;
    }
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] != 0 && !visit(i, counts_[i])) return;
    }
  }
  void expand();
  std::size_t bucket_index(std::uint64_t value) const {
    return static_cast<std::size_t>(leading_zero_base_ - __builtin_clzll(value | sub_bucket_mask_));
  }
  std::size_t counts_index(std::uint64_t value) const {
    const std::size_t bucket = bucket_index(value);
    const std::size_t sub_bucket = static_cast<std::size_t>(value >> (bucket + unit_magnitude_));
    return ((bucket + 1) << sub_bucket_half_count_magnitude_) + sub_bucket - sub_bucket_half_count_;
  }
  std::uint64_t value_at_index(std::size_t index) const;

  std::uint64_t lowest_;
  std::uint64_t highest_;
  int digits_;
  int unit_magnitude_;
  int sub_bucket_half_count_magnitude_;
  std::size_t sub_bucket_count_;
  std::size_t sub_bucket_half_count_;
  std::uint64_t sub_bucket_mask_;
  int leading_zero_base_;
  std::size_t bucket_count_;
  std::size_t slots_ = 0;              // the dense layout's size
  std::vector<std::uint64_t> counts_;  // dense; empty while compact
  std::vector<std::pair<std::uint32_t, std::uint64_t>>
      sparse_;  // compact: non-empty slots, ascending
  std::uint64_t total_ = 0;
  std::uint64_t overflow_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace loadlab
