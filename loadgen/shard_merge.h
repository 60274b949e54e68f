// merge, for the reports of a sharded run: do they belong to one run (one run id, one
// configuration), is every shard there, and none twice?
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace loadlab::loadgen {

// What merge read of one report.
struct ShardedReport {
  std::string path;
  std::string run_id;
  unsigned count = 0;            // shards in its run; 0 or 1: not a sharded run
  std::vector<unsigned> shards;  // which of them it holds
  nlohmann::json config;
};

struct ShardCheck {
  bool sharded = false;  // any report is a shard: the checks below apply
  std::string run_id;
  unsigned count = 0;
  std::vector<unsigned> present;  // sorted
  std::vector<unsigned> missing;  // sorted
  bool complete() const { return missing.empty(); }
  // "PARTIAL run ...: shards 3 of 4 missing", or "" when complete: said in every output.
  std::string partial_line() const;
};

// Throws std::invalid_argument naming the reports that do not belong together: different run
// ids, a different configuration (naming the options), a shard in two reports (which would
// count its requests twice).
ShardCheck check_shards(const std::vector<ShardedReport>& reports);

}  // namespace loadlab::loadgen
