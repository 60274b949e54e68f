#include "loadgen/run_identity.h"

#include <random>
#include <string>

#include "loadgen/outputs/json_report.h"

namespace loadlab::loadgen {
namespace {

// What the default run id hashes: the options every shard of the run shares. Not -t (each
// machine's cores) nor --busy-poll-us nor the start (in the id already), as merge does not
// compare them either.
std::string identity_text(const RunOptions& o) {
  nlohmann::json config = options_to_json(o);
  config.erase("threads");
  config.erase("busy_poll_us");
  config.erase("start_at");
  return config.dump();
}

}  // namespace

void settle_run_identity(RunOptions& o) {
  if (o.run_id.empty() && o.start_at_unix)
    o.run_id = default_run_id(*o.start_at_unix, identity_text(o));
  if (o.seed == 0)
    o.seed = o.run_id.empty() ? std::random_device{}() | 1 : seed_from_run_id(o.run_id);
}

void stamp_run_identity(const RunOptions& o, RunStats& stats) {
  stats.run_id = o.run_id.empty() ? default_run_id(stats.start_unix, identity_text(o)) : o.run_id;
  stats.shard_count = o.shard.count;
  stats.shards = {o.shard.index};
}

}  // namespace loadlab::loadgen
