// loadlab-loadgen capacity: the highest open-loop rate at which the target meets every --slo,
// found by growing the rate geometrically and then bisecting (capacity_search.h), each step a
// run of --settle then --step at one rate on one machine.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "loadgen/capacity_search.h"
#include "loadgen/options.h"
#include "loadgen/outputs/capacity_report.h"

namespace loadlab::loadgen {

// Exit codes beyond the run's (0 found, 1 unreachable, 2 usage, 3 no rate met the SLOs).
inline constexpr int kExitClientLimited = 4;

struct CapacityOptions {
  RunOptions run;  // the target and the request; -n, -d, --rate and the run's outputs unused
  std::string rate_range;  // "LO..HI"
  std::string precision = "5%";
  SearchBounds bounds{0, 0, 2, 0.05};
  std::uint64_t step_ms = 10'000;
  std::uint64_t settle_ms = 2'000;
  std::vector<std::string> slos;
  std::string json_path, html_path;
  bool quiet = false;
  // A run's flags a search cannot honour, as given (run_capacity refuses them, exit 2).
  std::vector<std::string> refused_flags;
};

// "100..100000" into bounds.low and bounds.high. Throws std::invalid_argument.
void parse_rate_range(const std::string& text, SearchBounds& bounds);
// "5%", "5" (percent) or "0.5%". Throws std::invalid_argument.
double parse_percent(const std::string& text, const char* flag);

void add_capacity_options(CLI::App& app, CapacityOptions& options);

// Runs the search, prints and writes its report; fills `report`. Returns the exit code.
int run_capacity(CapacityOptions& options, CapacityReport* report = nullptr);

}  // namespace loadlab::loadgen
