#include "loadgen/run_identity.h"

#include <random>

#include "loadgen/outputs/json_report.h"

namespace loadlab::loadgen {

void settle_run_identity(RunOptions& o) {
  if (o.run_id.empty() && o.start_at_unix)
    o.run_id = default_run_id(*o.start_at_unix, options_to_json(o).dump());
  if (o.seed == 0)
    o.seed = o.run_id.empty() ? std::random_device{}() | 1 : seed_from_run_id(o.run_id);
}

void stamp_run_identity(const RunOptions& o, RunStats& stats) {
  stats.run_id =
      o.run_id.empty() ? default_run_id(stats.start_unix, options_to_json(o).dump()) : o.run_id;
  stats.shard_count = o.shard.count;
  stats.shards = {o.shard.index};
}

}  // namespace loadlab::loadgen
