// The versioned JSON report (--json): everything a run measured, histograms included, so that
// runs merge losslessly (loadlab-loadgen merge reads it back); and the talk preset's document.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "loadgen/options.h"
#include "loadgen/run_stats.h"
#include "loadgen/slo.h"

namespace loadlab::loadgen {

struct RunReport;
struct TalkReport;

inline constexpr const char* kReportSchema = "loadlab-report/1";
inline constexpr const char* kTalkSchema = "loadlab-talk/1";

// The percentiles a report lists, by their JSON names; the text summary prints the same.
inline constexpr std::pair<const char*, double> kReportPercentiles[] = {
    {"p50", 50}, {"p75", 75}, {"p90", 90}, {"p99", 99}, {"p99_9", 99.9}, {"p99_99", 99.99}};

nlohmann::json options_to_json(const RunOptions& options);
nlohmann::json report_to_json(const RunStats& stats, const nlohmann::json& config,
                              const std::vector<SloResult>& slos = {});
// Throws std::invalid_argument naming what is wrong with the document.
RunStats report_from_json(const nlohmann::json& report);

// The writers in output_table.cpp: the report as a file, and the talk's runs side by side.
std::string render_json_report(const RunReport& report);
std::string render_talk_json(const TalkReport& talk);

}  // namespace loadlab::loadgen
