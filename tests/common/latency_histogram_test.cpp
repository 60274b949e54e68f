#include "common/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <vector>

namespace loadlab {
namespace {

// The exact value at a percentile, by the same rule (the ceil(p * n)-th smallest).
std::uint64_t exact_percentile(std::vector<std::uint64_t> values, double percentile) {
  std::sort(values.begin(), values.end());
  auto rank =
      static_cast<std::size_t>(std::ceil(percentile / 100.0 * static_cast<double>(values.size())));
  rank = std::max<std::size_t>(rank, 1);
  return values[rank - 1];
}

void expect_within_precision(std::uint64_t actual, std::uint64_t exact) {
  // 3 significant digits: the bucket holding `exact` is at most 1/1024 of its value wide.
  EXPECT_GE(actual, exact);
  EXPECT_LE(static_cast<double>(actual), static_cast<double>(exact) * (1 + 1.0 / 1024) + 1)
      << exact;
}

TEST(LatencyHistogram, EmptyHistogram) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  EXPECT_EQ(histogram.value_at_percentile(99), 0u);
  EXPECT_EQ(histogram.mean(), 0.0);
  EXPECT_TRUE(histogram.buckets().empty());
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (std::uint64_t v = 0; v < 2048; ++v) histogram.record(v);
  for (std::uint64_t v : {0u, 1u, 7u, 1000u, 2047u}) {
    EXPECT_EQ(histogram.lowest_equivalent(v), v);
    EXPECT_EQ(histogram.highest_equivalent(v), v);
  }
  EXPECT_EQ(histogram.value_at_percentile(50), 1023u);
  EXPECT_EQ(histogram.value_at_percentile(100), 2047u);
}

TEST(LatencyHistogram, UniformDistributionPercentiles) {
  LatencyHistogram histogram;
  std::vector<std::uint64_t> values;
  std::mt19937_64 random(7);
  std::uniform_int_distribution<std::uint64_t> uniform(1, 100000);
  for (int i = 0; i < 100000; ++i) {
    values.push_back(uniform(random));
    histogram.record(values.back());
  }
  for (double p : {0.0, 1.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    expect_within_precision(histogram.value_at_percentile(p), exact_percentile(values, p));
  }
  EXPECT_EQ(histogram.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(histogram.max(), *std::max_element(values.begin(), values.end()));
  double sum = 0, squares = 0;
  for (auto v : values) sum += static_cast<double>(v);
  const double mean = sum / static_cast<double>(values.size());
  for (auto v : values)
    squares += (static_cast<double>(v) - mean) * (static_cast<double>(v) - mean);
  EXPECT_NEAR(histogram.mean(), mean, mean * 0.001);
  EXPECT_NEAR(histogram.stddev(), std::sqrt(squares / static_cast<double>(values.size())),
              mean * 0.001);
}

TEST(LatencyHistogram, BimodalDistribution) {
  LatencyHistogram histogram;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 9000; ++i)
    values.push_back(1000 + static_cast<std::uint64_t>(i % 10));  // ~1 ms
  for (int i = 0; i < 1000; ++i)
    values.push_back(250000 + static_cast<std::uint64_t>(i % 100));  // ~250 ms
  for (auto v : values) histogram.record(v);
  for (double p : {50.0, 89.0, 90.0, 90.01, 95.0, 99.0, 100.0}) {
    expect_within_precision(histogram.value_at_percentile(p), exact_percentile(values, p));
  }
  EXPECT_LT(histogram.value_at_percentile(90), 2000u);
  EXPECT_GT(histogram.value_at_percentile(90.01), 200000u);
}

TEST(LatencyHistogram, SingleValueAndOneBucket) {
  LatencyHistogram histogram;
  histogram.record(123456, 10);
  EXPECT_EQ(histogram.count(), 10u);
  for (double p : {0.0, 50.0, 100.0})
    EXPECT_EQ(histogram.value_at_percentile(p), 123456u);  // capped at max
  EXPECT_EQ(histogram.buckets().size(), 1u);
}

TEST(LatencyHistogram, ValuesAboveHighestAreClampedAndCounted) {
  LatencyHistogram histogram(1, 1000, 3);
  histogram.record(5);
  histogram.record(5000);
  EXPECT_EQ(histogram.overflow(), 1u);
  EXPECT_EQ(histogram.max(), 1000u);
  EXPECT_EQ(histogram.count(), 2u);
}

TEST(LatencyHistogram, RejectsBadLayouts) {
  EXPECT_THROW(LatencyHistogram(1, 1000, 0), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(1, 1000, 6), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(0, 1000, 3), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(100, 150, 3), std::invalid_argument);
}

TEST(LatencyHistogram, MergeEqualsRecordingBoth) {
  LatencyHistogram a, b, both;
  std::mt19937_64 random(11);
  std::lognormal_distribution<double> latency(8.0, 1.5);
  for (int i = 0; i < 20000; ++i) {
    const auto value = static_cast<std::uint64_t>(latency(random));
    (i % 3 ? a : b).record(value);
    both.record(value);
  }
  a.merge(b);
  EXPECT_EQ(a.to_json(), both.to_json());
  for (double p : {50.0, 99.0, 99.99})
    EXPECT_EQ(a.value_at_percentile(p), both.value_at_percentile(p));
}

// A compact histogram answers everything a dense one does, and turns dense again on demand.
TEST(LatencyHistogram, CompactAnswersAsDenseDoes) {
  LatencyHistogram dense(1, 3'600'000'000ULL, 2);
  std::mt19937_64 random(5);
  std::lognormal_distribution<double> latency(9.0, 1.0);
  for (int i = 0; i < 5000; ++i) dense.record(static_cast<std::uint64_t>(latency(random)));
  LatencyHistogram compact = dense;
  compact.compact();
  EXPECT_EQ(compact.to_json(), dense.to_json());
  for (double p : {0.0, 50.0, 90.0, 99.0, 99.99, 100.0})
    EXPECT_EQ(compact.value_at_percentile(p), dense.value_at_percentile(p));
  EXPECT_DOUBLE_EQ(compact.mean(), dense.mean());
  EXPECT_DOUBLE_EQ(compact.stddev(), dense.stddev());
  std::ostringstream a, b;
  compact.write_hgrm(a);
  dense.write_hgrm(b);
  EXPECT_EQ(a.str(), b.str());

  LatencyHistogram into_compact = compact;  // merging into a compact one
  into_compact.merge(dense);
  LatencyHistogram into_dense = dense;  // and a compact one into a dense one
  into_dense.merge(compact);
  EXPECT_EQ(into_compact.to_json(), into_dense.to_json());
  EXPECT_EQ(into_compact.count(), 10000u);

  compact.record(123);  // recording after compact()
  dense.record(123);
  EXPECT_EQ(compact.to_json(), dense.to_json());

  LatencyHistogram empty;
  empty.compact();
  EXPECT_EQ(empty.value_at_percentile(99), 0u);
  EXPECT_EQ(empty.to_json(), LatencyHistogram().to_json());
}

TEST(LatencyHistogram, MergeAcrossLayoutsKeepsCounts) {
  LatencyHistogram coarse(1, 3'600'000'000ULL, 2);
  LatencyHistogram fine;
  for (std::uint64_t v = 1; v < 50000; v += 7) fine.record(v);
  coarse.merge(fine);
  EXPECT_EQ(coarse.count(), fine.count());
  EXPECT_NEAR(static_cast<double>(coarse.value_at_percentile(50)),
              static_cast<double>(fine.value_at_percentile(50)),
              fine.value_at_percentile(50) * 0.01);
}

TEST(LatencyHistogram, JsonRoundTrip) {
  LatencyHistogram histogram;
  for (std::uint64_t v = 1; v < 1'000'000; v = v * 3 + 1) histogram.record(v, v % 5 + 1);
  histogram.record(4'000'000'000ULL);  // overflow
  const LatencyHistogram copy =
      LatencyHistogram::from_json(nlohmann::json::parse(histogram.to_json().dump()));
  EXPECT_EQ(copy.to_json(), histogram.to_json());
  EXPECT_EQ(copy.overflow(), 1u);
  EXPECT_EQ(copy.value_at_percentile(99.9), histogram.value_at_percentile(99.9));
}

TEST(LatencyHistogram, FromJsonRejectsMalformedInput) {
  EXPECT_THROW(LatencyHistogram::from_json(nlohmann::json::object()), std::invalid_argument);
  nlohmann::json bad = LatencyHistogram().to_json();
  bad["buckets"] = {{5, 1}};  // count says 0
  EXPECT_THROW(LatencyHistogram::from_json(bad), std::invalid_argument);
  bad["count"] = 1;
  bad["buckets"] = {{5}};
  EXPECT_THROW(LatencyHistogram::from_json(bad), std::invalid_argument);
  bad["significant_digits"] = 9;
  EXPECT_THROW(LatencyHistogram::from_json(bad), std::invalid_argument);
}

// Found by report_merge_fuzz: a float out of range (1e82) was converted to an integer
// (undefined behaviour), a negative count wrapped around.
TEST(LatencyHistogram, FromJsonRefusesCountsThatAreNotNonNegativeIntegers) {
  LatencyHistogram one;
  one.record(5);
  const nlohmann::json good = one.to_json();
  ASSERT_EQ(LatencyHistogram::from_json(good).count(), 1u);
  for (const nlohmann::json& number :
       {nlohmann::json(1e82), nlohmann::json(-1), nlohmann::json(2.5)}) {
    for (const char* key :
         {"lowest", "highest", "significant_digits", "count", "min", "max", "overflow"}) {
      nlohmann::json bad = good;
      bad[key] = number;
      EXPECT_THROW(LatencyHistogram::from_json(bad), std::invalid_argument)
          << key << " = " << number;
    }
    nlohmann::json bad = good;
    bad["buckets"][0][1] = number;
    EXPECT_THROW(LatencyHistogram::from_json(bad), std::invalid_argument)
        << "bucket count " << number;
    bad = good;
    bad["buckets"][0][0] = number;
    EXPECT_THROW(LatencyHistogram::from_json(bad), std::invalid_argument)
        << "bucket value " << number;
  }
}

TEST(LatencyHistogram, HgrmOutput) {
  LatencyHistogram histogram;
  for (std::uint64_t v = 1; v <= 10000; ++v) histogram.record(v * 10);  // 10 us .. 100 ms
  std::ostringstream text;
  histogram.write_hgrm(text);
  std::istringstream lines(text.str());
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "       Value     Percentile TotalCount 1/(1-Percentile)");
  std::getline(lines, line);
  EXPECT_EQ(line, "");
  double last_percentile = -1, last_value = -1, percentile = 0, value = 0;
  unsigned long long count = 0, rows = 0;
  while (std::getline(lines, line) && line[0] != '#') {
    ASSERT_GE(std::sscanf(line.c_str(), "%lf %lf %llu", &value, &percentile, &count), 3) << line;
    EXPECT_GE(percentile, last_percentile);
    EXPECT_GE(value, last_value);
    last_percentile = percentile;
    last_value = value;
    ++rows;
  }
  EXPECT_GT(rows, 50u);
  EXPECT_EQ(percentile, 1.0);
  EXPECT_EQ(count, 10000u);
  EXPECT_NEAR(value, 100.0, 0.1);  // milliseconds
  EXPECT_TRUE(line.starts_with("#[Mean    =")) << line;
  std::getline(lines, line);
  EXPECT_NE(line.find("Total count    =        10000"), std::string::npos) << line;
  std::getline(lines, line);
  EXPECT_TRUE(line.starts_with("#[Buckets =")) << line;
}

}  // namespace
}  // namespace loadlab
