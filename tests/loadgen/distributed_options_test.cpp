// The combinations of --shard, --start-at, --stages and --concurrency-stages with the other
// run options: what they set, and a clear error for what does not go together.
#include <gtest/gtest.h>

#include <ctime>
#include <stdexcept>
#include <string>
#include <utility>

#include "loadgen/options.h"
#include "loadgen/run_identity.h"

namespace loadlab::loadgen {
namespace {

RunOptions base() {
  RunOptions options;
  options.urls = {"http://127.0.0.1:1/"};
  return options;
}

std::string error_of(RunOptions options) {
  try {
    finalize_options(options);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST(DistributedOptions, OpenLoopStagesSetTheRequestsTheyHold) {
  RunOptions options = base();
  options.stages_text = "0>200@2s,200@1s,200>0@2s";
  finalize_options(options);
  EXPECT_EQ(options.requests, 600u);
  EXPECT_FALSE(options.duration_ms);
  EXPECT_TRUE(open_loop(options));
}

TEST(DistributedOptions, ConcurrencyStagesSetTheLengthAndThePeak) {
  RunOptions options = base();
  options.concurrency_stages_text = "1>40.5@1m,10@30s";
  finalize_options(options);
  EXPECT_EQ(options.duration_ms, 90'000u);
  EXPECT_EQ(options.concurrency, 40u);
  EXPECT_FALSE(open_loop(options));
}

TEST(DistributedOptions, StagesDoNotGoWithRateNOrD) {
  RunOptions with_rate = base();
  with_rate.stages_text = "100@1s";
  with_rate.rate = 10;
  EXPECT_NE(error_of(with_rate).find("--stages is the rate"), std::string::npos);
  RunOptions with_n = base();
  with_n.stages_text = "100@1s";
  with_n.requests = 5;
  EXPECT_NE(error_of(with_n).find("no -n or -d"), std::string::npos);
  RunOptions both = base();
  both.stages_text = "100@1s";
  both.concurrency_stages_text = "10@1s";
  EXPECT_NE(error_of(both).find("give one"), std::string::npos);
  RunOptions closed_with_rate = base();
  closed_with_rate.concurrency_stages_text = "10@1s";
  closed_with_rate.rate = 10;
  EXPECT_NE(error_of(closed_with_rate).find("--rate makes an open loop"), std::string::npos);
  RunOptions nothing = base();
  nothing.stages_text = "0@10s";
  EXPECT_NE(error_of(nothing).find("asks for no requests"), std::string::npos);
  RunOptions no_connection = base();
  no_connection.concurrency_stages_text = "0>0.5@10s";
  EXPECT_NE(error_of(no_connection).find("never asks for a connection"), std::string::npos);
}

TEST(DistributedOptions, EveryShardNeedsARequestAndAConnection) {
  RunOptions few = base();
  few.shard_text = "0/4";
  few.requests = 3;
  EXPECT_NE(error_of(few).find("-n 3 leaves some shards nothing"), std::string::npos);
  RunOptions narrow = base();
  narrow.shard_text = "3/4";
  narrow.concurrency = 3;
  EXPECT_NE(error_of(narrow).find("-c 3 leaves some shards no connection"), std::string::npos);
  // Stages set -n and -c themselves: the message names the flag the user gave.
  RunOptions few_slots = base();
  few_slots.shard_text = "0/4";
  few_slots.stages_text = "1@2s";
  const std::string slots_error = error_of(few_slots);
  EXPECT_EQ(slots_error.find("--stages '1@2s' (2 requests) leaves some shards nothing"), 0u)
      << slots_error;
  RunOptions few_connections = base();
  few_connections.shard_text = "0/4";
  few_connections.concurrency_stages_text = "1>2@1s";
  const std::string connections_error = error_of(few_connections);
  EXPECT_EQ(connections_error.find("--concurrency-stages '1>2@1s' (at most 2 connections) leaves "
                                   "some shards no connection"),
            0u)
      << connections_error;
  RunOptions fine = base();
  fine.shard_text = "3/4";
  fine.concurrency = 4;
  fine.requests = 4;
  EXPECT_EQ(error_of(fine), "");
}

// An instant an hour from now, as RFC 3339 and as the run id's prefix.
std::pair<std::string, std::string> in_an_hour() {
  const std::time_t t = std::time(nullptr) + 3600;
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32], id[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::strftime(id, sizeof id, "%Y%m%dT%H%M%S.000Z", &utc);
  return {text, id};
}

TEST(DistributedOptions, ShardsOfOneStartAgreeOnTheRunIdAndSeed) {
  const auto [start_at, id_prefix] = in_an_hour();
  RunOptions shards[2] = {base(), base()};
  for (int i = 0; i < 2; ++i) {
    shards[i].shard_text = std::to_string(i) + "/2";
    shards[i].threads = 1 + 3 * i;  // machines of their own: -t is theirs, not the run's
    shards[i].start_at_text = start_at;
    finalize_options(shards[i]);
    settle_run_identity(shards[i]);
  }
  EXPECT_EQ(shards[0].run_id, shards[1].run_id);
  EXPECT_EQ(shards[0].run_id.substr(0, 20), id_prefix);
  EXPECT_NE(shards[0].seed, 0u);
  EXPECT_EQ(shards[0].seed, shards[1].seed);  // the base seed; each shard derives its own
  RunOptions other = base();
  other.shard_text = "0/2";
  other.start_at_text = start_at;
  other.rate = 50;
  finalize_options(other);
  settle_run_identity(other);
  EXPECT_NE(other.run_id, shards[0].run_id);  // other options: another run
  RunOptions named = base();
  named.run_id = "nightly-42";
  named.shard_text = "1/2";
  finalize_options(named);
  settle_run_identity(named);
  EXPECT_EQ(named.run_id, "nightly-42");
}

}  // namespace
}  // namespace loadlab::loadgen
