// merge of a sharded run's reports: complete, missing shards, duplicate shards, reports of
// different runs or options.
#include "loadgen/shard_merge.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <utility>

#include "loadgen/outputs/json_report.h"
#include "loadgen/shard.h"
#include "tests/loadgen/sample_stats.h"

namespace loadlab::loadgen {
namespace {

const nlohmann::json kConfig = {{"rate", 400.0}, {"requests", 1000}, {"shards", 4}};

ShardedReport shard(unsigned index, const std::string& run = "run-a",
                    const nlohmann::json& config = kConfig) {
  return {"s" + std::to_string(index) + ".json", run, 4, {index}, config};
}

std::string error_of(const std::vector<ShardedReport>& reports) {
  try {
    check_shards(reports);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST(ShardMerge, AllShardsMakeACompleteRun) {
  const auto check = check_shards({shard(2), shard(0), shard(3), shard(1)});
  EXPECT_TRUE(check.sharded);
  EXPECT_TRUE(check.complete());
  EXPECT_EQ(check.present, (std::vector<unsigned>{0, 1, 2, 3}));
  EXPECT_EQ(check.run_id, "run-a");
  EXPECT_EQ(check.partial_line(), "");
}

TEST(ShardMerge, MissingShardsAreNamed) {
  const auto check = check_shards({shard(0), shard(3)});
  EXPECT_FALSE(check.complete());
  EXPECT_EQ(check.missing, (std::vector<unsigned>{1, 2}));
  EXPECT_EQ(check.partial_line(),
            "PARTIAL run run-a: 2 of 4 shards missing (1, 2); the totals cover only shards 0, 3");
}

TEST(ShardMerge, AMergedReportCountsForItsShards) {
  ShardedReport first_half{"half.json", "run-a", 4, {0, 1}, kConfig};
  EXPECT_TRUE(check_shards({first_half, shard(2), shard(3)}).complete());
  const std::string error = error_of({first_half, shard(1)});
  EXPECT_NE(error.find("shard 1 of run run-a is in both 'half.json' and 's1.json'"),
            std::string::npos)
      << error;
}

TEST(ShardMerge, DuplicateShardsAreRefusedByName) {
  const std::string error = error_of({shard(0), shard(1), shard(1), shard(2), shard(3)});
  EXPECT_NE(error.find("shard 1"), std::string::npos) << error;
  EXPECT_NE(error.find("twice"), std::string::npos) << error;
}

TEST(ShardMerge, MixedRunIdsAreRefused) {
  const std::string error = error_of({shard(0), shard(1, "run-b")});
  EXPECT_NE(error.find("not of one run"), std::string::npos) << error;
  EXPECT_NE(error.find("run-a"), std::string::npos) << error;
  EXPECT_NE(error.find("run-b"), std::string::npos) << error;
}

TEST(ShardMerge, AShardWithOtherOptionsIsRefusedNamingThem) {
  nlohmann::json other = kConfig;
  other["rate"] = 500.0;
  const std::string error = error_of({shard(0), shard(1, "run-a", other)});
  EXPECT_NE(error.find("disagree on rate"), std::string::npos) << error;
}

TEST(ShardMerge, ShardsOfOneRunMayDifferInStartAtThreadsAndBusyPolling) {
  // Given `--start-at +2s --run-id nightly` each process resolves its own instant, and each
  // machine has its own -t: still one run.
  nlohmann::json first = kConfig, second = kConfig;
  first["start_at"] = "2025-05-01T12:00:02.001Z";
  second["start_at"] = "2025-05-01T12:00:02.015Z";
  first["threads"] = 2;
  second["threads"] = 8;
  first["busy_poll_us"] = 50;
  second["busy_poll_us"] = 0;
  const auto check = check_shards({shard(0, "nightly", first), shard(1, "nightly", second),
                                   shard(2, "nightly", kConfig), shard(3, "nightly", second)});
  EXPECT_TRUE(check.complete());
  nlohmann::json other_rate = second;
  other_rate["rate"] = 500.0;
  const std::string error = error_of({shard(0, "nightly", first), shard(1, "nightly", other_rate)});
  EXPECT_NE(error.find("disagree on rate"), std::string::npos) << error;
  EXPECT_EQ(error.find("start_at"), std::string::npos) << error;
  EXPECT_EQ(error.find("threads"), std::string::npos) << error;
  EXPECT_EQ(error.find("busy_poll_us"), std::string::npos) << error;
}

TEST(ShardMerge, ARunOfMoreShardsThanTheBoundIsRefused) {
  // Not a list of four billion missing shards.
  ShardedReport huge{"huge.json", "run-a", 4'294'967'295u, {0}, kConfig};
  const std::string error = error_of({huge});
  EXPECT_NE(error.find("at most 100000"), std::string::npos) << error;
  ShardedReport largest{"largest.json", "run-a", kMaxShards, {0}, kConfig};
  EXPECT_EQ(check_shards({largest}).missing.size(), kMaxShards - 1);
}

TEST(ShardMerge, AReportWithAShardCountBeyondTheBoundIsMalformed) {
  nlohmann::json report = report_to_json(sample(100, 1700000000.5), nlohmann::json::object());
  report["shard"] = {{"run_id", "run-a"}, {"count", 4}, {"shards", {1}}};
  EXPECT_EQ(report_from_json(report).shard_count, 4u);
  // 2^32 + 4 would narrow to 4 (and 2^32 + 1 to shard 1): refused, not wrapped.
  const std::pair<std::uint64_t, std::uint64_t> bad[] = {
      {4'294'967'300u, 1}, {100'001, 1}, {4, 4'294'967'297u}};
  for (const auto& [count, index] : bad) {
    report["shard"]["count"] = count;
    report["shard"]["shards"] = {index};
    EXPECT_THROW(report_from_json(report), std::invalid_argument) << count << " " << index;
  }
}

TEST(ShardMerge, AShardBesideAPlainRunIsRefused) {
  ShardedReport plain{"plain.json", "run-z", 1, {0}, kConfig};
  const std::string error = error_of({shard(0), plain});
  EXPECT_NE(error.find("not sharded"), std::string::npos) << error;
}

TEST(ShardMerge, PlainRunsMergeAsBefore) {
  ShardedReport a{"a.json", "run-a", 1, {0}, kConfig};
  ShardedReport b{"b.json", "run-b", 0, {}, nlohmann::json::object()};
  const auto check = check_shards({a, b});
  EXPECT_FALSE(check.sharded);
  EXPECT_TRUE(check.complete());
}

}  // namespace
}  // namespace loadlab::loadgen
