// Which run a report belongs to: its run id (--run-id, or one derived from the start time and
// the options) and, for a shard, its place; the seed of shards given none.
#pragma once

#include "loadgen/options.h"
#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

// Before the run: the run id, when it is known before the start (--run-id, or --start-at and
// the options, the same on every shard started with one command line); and for a sharded run
// without --seed, a seed every shard derives from that id (or a random one).
void settle_run_identity(RunOptions& options);

// After the run: the report's run id (the default from the actual start if still unknown) and
// its shard.
void stamp_run_identity(const RunOptions& options, RunStats& stats);

}  // namespace loadlab::loadgen
