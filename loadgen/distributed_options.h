// The flags of a run spread over processes (--shard, --run-id, --start-at) and of load in
// stages (--stages, --concurrency-stages): declared and checked here, beside the other run
// options (options.cpp calls these).
#pragma once

#include <CLI/CLI.hpp>

#include "loadgen/options.h"

namespace loadlab::loadgen {

void add_distributed_options(CLI::App& app, RunOptions& options);

// Parses what the flags gave and checks the combination; stages set -n (open loop: the
// number of slots they hold) or -d (closed loop: their length) and -c (the peak). Call before
// the -n default. Throws std::invalid_argument with a message for the user.
void finalize_distributed_options(RunOptions& options);

}  // namespace loadlab::loadgen
