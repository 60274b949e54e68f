// What the writers in output_table.cpp are given: a run's (or a merge's) results, or the talk
// preset's runs. References only: the writers read, the caller owns.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loadgen/run_stats.h"
#include "loadgen/slo.h"

namespace loadlab::loadgen {

struct RunReport {
  const RunStats& stats;
  const nlohmann::json& config;  // the options of the run, as the JSON report records them
  const std::vector<SloResult>& slos;
  const std::string& title;
};

// One run of the talk preset: its results beside the ideal time it could have taken.
struct TalkRow {
  std::string name;
  const RunStats* stats;
  unsigned concurrency;
  double ideal_s;
  nlohmann::json config;
};

struct CapacityReport;

struct TalkReport {
  const std::vector<TalkRow>& rows;
  const std::string& base_url;      // the server, as given
  const std::string& url_template;  // what every request asked for
  // The talk's last act: capacity searches on /prime/N (one worker, all workers); may be empty.
  const std::vector<CapacityReport>* capacity = nullptr;
};

}  // namespace loadlab::loadgen
