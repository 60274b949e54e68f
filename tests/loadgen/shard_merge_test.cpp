// merge of a sharded run's reports: complete, missing shards, duplicate shards, reports of
// different runs or options.
#include "loadgen/shard_merge.h"

#include <gtest/gtest.h>

#include <stdexcept>

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

TEST(ShardMerge, ShardsOfOneRunMayDifferInStartAtAndThreads) {
  // Given `--start-at +2s --run-id nightly` each process resolves its own instant, and each
  // machine has its own -t: still one run.
  nlohmann::json first = kConfig, second = kConfig;
  first["start_at"] = "2025-05-01T12:00:02.001Z";
  second["start_at"] = "2025-05-01T12:00:02.015Z";
  first["threads"] = 2;
  second["threads"] = 8;
  const auto check = check_shards({shard(0, "nightly", first), shard(1, "nightly", second),
                                   shard(2, "nightly", kConfig), shard(3, "nightly", second)});
  EXPECT_TRUE(check.complete());
  nlohmann::json other_rate = second;
  other_rate["rate"] = 500.0;
  const std::string error = error_of({shard(0, "nightly", first), shard(1, "nightly", other_rate)});
  EXPECT_NE(error.find("disagree on rate"), std::string::npos) << error;
  EXPECT_EQ(error.find("start_at"), std::string::npos) << error;
  EXPECT_EQ(error.find("threads"), std::string::npos) << error;
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
