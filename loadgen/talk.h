// The talk's demo as a preset: unbounded bursts of 200, 300 and 400 requests, then 500
// requests through a semaphore of 100, all on BASE/{rand:1:1000}/, with elapsed vs ideal.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "loadgen/outputs/output_table.h"

namespace loadlab::loadgen {

struct TalkOptions {
  std::string base_url;
  std::vector<std::uint64_t> unbounded = {200, 300, 400};
  std::uint64_t requests = 500;
  unsigned concurrency = 100;
  std::uint64_t max_delay_ms = 1000;
  std::uint64_t timeout_ms = 30000;
  // The last act: the capacity of /prime/N (about 2 ms of trial division) under p99 and error
  // objectives, on BASE (all its workers) and on a second server with --workers 1.
  bool capacity = true;
  std::string one_worker_url;  // the --workers 1 server; empty: BASE only
  std::uint64_t prime = 4'000'000'000'039ULL;
  std::uint64_t capacity_step_ms = 2'000;
  OutputTargets outputs;
};

void add_talk_options(CLI::App& talk, TalkOptions& options);
// Runs the preset and prints the table; returns the process exit code.
int run_talk(const TalkOptions& options);

}  // namespace loadlab::loadgen
