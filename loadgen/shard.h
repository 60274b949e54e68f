// One process's part of a run spread over N processes or machines (--shard I/N): its exact
// share of -n and -c, its slots of the open-loop schedule and of {seq}, its seed; and the run
// id that lets `merge` check that reports belong together (docs/loadgen.md, "Shards").
#pragma once

#include <cstdint>
#include <string>

namespace loadlab::loadgen {

// Shards beyond this are a typo; a Kubernetes Indexed Job allows 100 000 completions.
inline constexpr unsigned kMaxShards = 100'000;

struct ShardSpec {
  unsigned index = 0;
  unsigned count = 1;  // 1: not sharded
  bool sharded() const { return count > 1 || index > 0; }
};

// "I/N" (0 <= I < N) or "auto/N", which takes I from `job_index` (JOB_COMPLETION_INDEX, as a
// Kubernetes Indexed Job sets it; null when unset). Throws std::invalid_argument saying why.
ShardSpec parse_shard(const std::string& text, const char* job_index);

// Shard I's part of `total` items dealt round robin: item k goes to shard k mod N, so the
// first total mod N shards get one more and the shares add up to `total` exactly.
inline std::uint64_t share_of(std::uint64_t total, ShardSpec shard) {
  return total / shard.count + (shard.index < total % shard.count ? 1 : 0);
}

// The run's request number of this shard's `local`-th request: shard I sends I, I+N, I+2N...,
// which are also its slots of the open-loop schedule, so {seq}, the URL mix and the send times
// of all shards together are those of one process.
inline std::uint64_t global_index(std::uint64_t local, ShardSpec shard) {
  return local * shard.count + shard.index;
}

// A seed per shard, decorrelated from its neighbours' (splitmix64 of seed and index).
std::uint64_t shard_seed(std::uint64_t seed, unsigned index);

// The default --run-id: the planned start (UTC, to the millisecond) and a hash of the run's
// configuration, so shards started together with one command line agree without being told.
std::string default_run_id(double start_unix, const std::string& config_text);

// A seed for shards that were given none: the same on every shard of the run, from its id.
std::uint64_t seed_from_run_id(const std::string& run_id);

}  // namespace loadlab::loadgen
