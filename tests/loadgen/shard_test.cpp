// --shard's arithmetic: shares that add up exactly, request numbers that are disjoint and
// complete, seeds per shard, and the flags' errors.
#include "loadgen/shard.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "loadgen/start_at.h"

namespace loadlab::loadgen {
namespace {

TEST(Shard, SharesAddUpExactlyWithTheRemainderSpread) {
  for (std::uint64_t total : {0ULL, 1ULL, 3ULL, 4ULL, 7ULL, 1001ULL, 999'999'999'999ULL}) {
    for (unsigned count : {1u, 2u, 3u, 4u, 7u, 100u}) {
      std::uint64_t sum = 0, smallest = UINT64_MAX, largest = 0;
      for (unsigned i = 0; i < count; ++i) {
        const auto share = share_of(total, ShardSpec{i, count});
        sum += share;
        smallest = std::min(smallest, share);
        largest = std::max(largest, share);
      }
      EXPECT_EQ(sum, total) << total << " over " << count;
      EXPECT_LE(largest - smallest, 1u) << total << " over " << count;
    }
  }
  // The first total mod N shards take the extra one.
  EXPECT_EQ(share_of(10, {0, 4}), 3u);
  EXPECT_EQ(share_of(10, {1, 4}), 3u);
  EXPECT_EQ(share_of(10, {2, 4}), 2u);
  EXPECT_EQ(share_of(10, {3, 4}), 2u);
}

TEST(Shard, RequestNumbersOfAllShardsAreDisjointAndComplete) {
  const std::uint64_t total = 1003;
  const unsigned count = 4;
  std::set<std::uint64_t> seen;
  for (unsigned i = 0; i < count; ++i) {
    const ShardSpec shard{i, count};
    for (std::uint64_t local = 0; local < share_of(total, shard); ++local) {
      const auto global = global_index(local, shard);
      EXPECT_LT(global, total);
      EXPECT_TRUE(seen.insert(global).second) << "shard " << i << " repeats " << global;
    }
  }
  EXPECT_EQ(seen.size(), total);
}

TEST(Shard, SeedsDifferPerShardAndRepeatPerSeed) {
  std::set<std::uint64_t> seeds;
  for (unsigned i = 0; i < 64; ++i) seeds.insert(shard_seed(42, i));
  EXPECT_EQ(seeds.size(), 64u);
  EXPECT_EQ(shard_seed(42, 3), shard_seed(42, 3));
  EXPECT_NE(shard_seed(42, 3), shard_seed(43, 3));
  EXPECT_EQ(shard_seed(42, 0), 42u);  // shard 0 of N replays the unsharded run's URLs
}

TEST(Shard, ParsesIndexOverCount) {
  const auto shard = parse_shard("2/4", nullptr);
  EXPECT_EQ(shard.index, 2u);
  EXPECT_EQ(shard.count, 4u);
  EXPECT_TRUE(shard.sharded());
  EXPECT_FALSE(parse_shard("0/1", nullptr).sharded());
}

TEST(Shard, AutoTakesTheIndexFromTheJobCompletionIndex) {
  EXPECT_EQ(parse_shard("auto/8", "5").index, 5u);
  EXPECT_EQ(parse_shard("auto/8", "5").count, 8u);
}

void expect_error(const std::string& text, const char* job_index, const std::string& says) {
  try {
    parse_shard(text, job_index);
    ADD_FAILURE() << "'" << text << "' was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find(says), std::string::npos)
        << "'" << text << "': " << error.what();
  }
}

TEST(Shard, BadShardsAreClearErrors) {
  expect_error("auto/4", nullptr, "JOB_COMPLETION_INDEX is not set");
  expect_error("auto/4", "", "JOB_COMPLETION_INDEX is not set");
  expect_error("auto/4", "4", "JOB_COMPLETION_INDEX='4'");
  expect_error("auto/4", "x", "JOB_COMPLETION_INDEX='x'");
  expect_error("4/4", nullptr, "below N");
  expect_error("1/0", nullptr, "at least 1");
  expect_error("3", nullptr, "expected I/N");
  expect_error("-1/4", nullptr, "'-1'");
  expect_error("a/4", nullptr, "'a'");
  expect_error("1/", nullptr, "N ''");
  expect_error("0/100001", nullptr, "100000");
}

TEST(Shard, DefaultRunIdIsTheStartAndAHashOfTheOptions) {
  const auto id = default_run_id(1'746'100'800.25, "{\"rate\":100}");
  EXPECT_EQ(id.substr(0, 20), "20250501T120000.250Z");
  EXPECT_EQ(id, default_run_id(1'746'100'800.25, "{\"rate\":100}"));
  EXPECT_NE(id, default_run_id(1'746'100'800.25, "{\"rate\":101}"));
  EXPECT_NE(id, default_run_id(1'746'100'800.5, "{\"rate\":100}"));
  EXPECT_EQ(seed_from_run_id(id), seed_from_run_id(id));
}

TEST(StartAt, RelativeAndRfc3339) {
  EXPECT_DOUBLE_EQ(parse_start_at("+10s", 1000.5), 1010.5);
  EXPECT_DOUBLE_EQ(parse_start_at("+250ms", 1000), 1000.25);
  const double may_first = 1'746'100'800;  // 2025-05-01T12:00:00Z
  EXPECT_DOUBLE_EQ(parse_start_at("2025-05-01T12:00:00Z", may_first - 60), may_first);
  EXPECT_DOUBLE_EQ(parse_start_at("2025-05-01T14:00:00.5+02:00", may_first), may_first + 0.5);
  EXPECT_DOUBLE_EQ(parse_start_at("2025-05-01t07:30:00-04:30", may_first + 60), may_first);
  EXPECT_DOUBLE_EQ(parse_start_at("2024-02-29T00:00:00Z", 1'709'164'000), 1'709'164'800);
}

TEST(StartAt, MoreThanADayAheadOrTenMinutesBehindIsRefused) {
  const double now = 1'746'100'800;  // 2025-05-01T12:00:00Z
  EXPECT_DOUBLE_EQ(parse_start_at("+24h", now), now + 86'400);
  EXPECT_DOUBLE_EQ(parse_start_at("2025-05-01T11:50:00Z", now), now - 600);
  const std::pair<const char*, const char*> cases[] = {
      {"+25h", "at most 24 h ahead"},
      {"2030-01-01T00:00:00Z", "at most 24 h ahead"},
      {"+99999999h", ""},  // refused one way or the other, never an overflow
      {"2025-05-01T11:49:59Z", "at most 10 minutes in the past"},
      {"2020-01-01T00:00:00Z", "at most 10 minutes in the past"},
      {"1970-01-01T00:00:00Z", "at most 10 minutes in the past"},
  };
  for (const auto& [text, message] : cases) {
    try {
      parse_start_at(text, now);
      ADD_FAILURE() << "'" << text << "' was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("--start-at"), std::string::npos) << error.what();
    }
  }
}

TEST(StartAt, BadTimesAreClearErrors) {
  for (const char* bad : {"", "+", "+10x", "10s", "2025-05-01T12:00:00", "2025-05-01 12:00Z",
                          "2025-13-01T12:00:00Z", "2025-02-29T12:00:00Z", "2025-05-01T24:00:00Z",
                          "2025-05-01T12:00:00.Z", "2025-05-01T12:00:00+2:00", "tomorrow"}) {
    try {
      parse_start_at(bad, 0);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("--start-at"), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace loadlab::loadgen
