// The capacity search's outputs: a line per step as it runs, and at the end the answer with
// every step in text, JSON (loadlab-capacity/1, each step's full run report inside, so a step
// can be merged or re-read like any run) and HTML (the knee: latency against the asked rate).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loadgen/capacity_search.h"
#include "loadgen/capacity_step.h"
#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

inline constexpr const char* kCapacitySchema = "loadlab-capacity/1";

struct CapacityStepRecord {
  double asked = 0;
  bool bisecting = false;
  RunStats stats;  // after the settle
  StepJudgement judgement;
  double cpu_cores = 0;
  double wall_s = 0;  // settle, step and grace
  // This step's run options (its rate), for its embedded report; null: the search's config.
  nlohmann::json config;
};

struct CapacityReport {
  std::string url;
  SearchBounds bounds;
  std::uint64_t step_ms = 0;
  std::uint64_t settle_ms = 0;
  std::vector<std::string> slos;
  nlohmann::json config;  // the run options every step shares (the rate is each step's own)
  SearchResult search;
  std::vector<CapacityStepRecord> steps;
  double elapsed_s = 0;  // the whole search
};

const char* verdict_name(StepVerdict verdict);
const char* outcome_name(SearchOutcome outcome);
// The answer in a sentence: "capacity: 812.4 req/s met every objective; 852.9 req/s did not".
std::string capacity_sentence(const CapacityReport& report);

// One line per step, printed as the step ends.
std::string step_line(std::size_t number, const CapacityStepRecord& step);
std::string render_capacity_text(const CapacityReport& report);
nlohmann::json capacity_to_json(const CapacityReport& report);
std::string render_capacity_json(const CapacityReport& report);
std::string render_capacity_html(const CapacityReport& report);
// The knee plot alone (p50 and p99 against the asked rate, steps marked pass or fail), for the
// HTML page and the talk's.
std::string knee_chart_svg(const CapacityReport& report);

}  // namespace loadlab::loadgen
