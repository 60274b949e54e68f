// The output table: each command offers the flags its rows declare, the writers write what the
// flags ask for, and the sentences two writers share come out the same in both.
#include "loadgen/outputs/output_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loadgen/outputs/html_report.h"
#include "loadgen/outputs/report_input.h"
#include "loadgen/outputs/text_summary.h"
#include "loadgen/outputs/wording.h"

namespace loadlab::loadgen {
namespace {

OutputTargets parse(OutputCommand command, std::vector<std::string> args) {
  CLI::App app;
  OutputTargets targets;
  add_output_options(app, command, targets);
  std::reverse(args.begin(), args.end());  // CLI11 takes its arguments last first
  app.parse(args);
  return targets;
}

std::size_t row(const char* name) {
  const auto writers = output_writers();
  for (std::size_t i = 0; i < writers.size(); ++i) {
    if (std::string(writers[i].name) == name) return i;
  }
  ADD_FAILURE() << "no writer " << name;
  return 0;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// An open-loop run that fell behind: every warning the outputs can give.
RunStats behind_schedule() {
  RunStats stats;
  stats.start_unix = 1000;
  stats.end_unix = 1002;
  stats.target_rate = 100.0;
  stats.late_starts = 7;
  stats.unsent = 150;
  stats.max_start_lag_us = 40'000;
  stats.retried_stale = 2;
  stats.record_response(200, 50'000, 10'000, 0);
  stats.record_response(200, 1'000, 1'000, 1'500'000'000);
  return stats;
}

TEST(OutputTable, EachCommandOffersTheFlagsItsRowsDeclare) {
  // A command offers a flag only for an output it can render, and every output but the
  // console's has a flag in the run and in merge. (Checked here: under ASan, GCC cannot compare
  // a function's address in a static_assert.)
  for (const auto& writer : output_writers()) {
    const bool console = writer.destination == OutputDestination::kConsole;
    EXPECT_EQ(writer.render_talk != nullptr, writer.talk.names != nullptr) << writer.name;
    EXPECT_NE(writer.render, nullptr) << writer.name;
    EXPECT_EQ(writer.run.names == nullptr, console) << writer.name;
    EXPECT_EQ(writer.merge.names == nullptr, console) << writer.name;
  }
  const auto run =
      parse(OutputCommand::kRun, {"--json", "a.json", "--hgrm", "a.hgrm", "--html", "a.html"});
  EXPECT_EQ(run.paths[row("json")], "a.json");
  EXPECT_EQ(run.paths[row("hgrm")], "a.hgrm");
  EXPECT_EQ(run.paths[row("html")], "a.html");
  EXPECT_EQ(run.paths[row("text")], "");
  EXPECT_EQ(parse(OutputCommand::kMerge, {"-o", "m.json"}).paths[row("json")], "m.json");
  EXPECT_EQ(parse(OutputCommand::kMerge, {"--output", "m.json"}).paths[row("json")], "m.json");
  EXPECT_EQ(parse(OutputCommand::kTalk, {"--html", "t.html"}).paths[row("html")], "t.html");
  // The talk has no .hgrm: its runs are compared, not merged into one distribution.
  EXPECT_THROW(parse(OutputCommand::kTalk, {"--hgrm", "t.hgrm"}), CLI::ParseError);
}

TEST(OutputTable, AReportOnStdoutSendsTheHumanTextToStderr) {
  OutputTargets targets;
  EXPECT_EQ(&console(targets), &std::cout);
  targets.paths[row("hgrm")] = "-";
  EXPECT_EQ(&console(targets), &std::cout);
  targets.paths[row("json")] = "-";
  EXPECT_EQ(&console(targets), &std::cerr);
}

TEST(OutputTable, EveryFileTheFlagsNameIsWrittenByItsWriter) {
  const std::string dir = "/tmp/loadlab-test-" + std::to_string(getpid()) + "-outputs";
  OutputTargets targets;
  targets.quiet = true;
  for (const char* name : {"json", "hgrm", "html"}) targets.paths[row(name)] = dir + "." + name;
  const RunStats stats = behind_schedule();
  const nlohmann::json config = nlohmann::json::object();
  const std::vector<SloResult> slos;
  const std::string title = "a title";
  write_run_outputs(targets, RunReport{stats, config, slos, title});
  const std::string json = slurp(dir + ".json"), hgrm = slurp(dir + ".hgrm"),
                    html = slurp(dir + ".html");
  for (const char* name : {"json", "hgrm", "html"}) std::remove((dir + "." + name).c_str());
  EXPECT_EQ(nlohmann::json::parse(json)["schema"], "loadlab-report/1");
  EXPECT_NE(hgrm.find("Value"), std::string::npos) << hgrm;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THROW(write_output("/nonexistent-dir/x", "text"), std::runtime_error);
}

TEST(OutputTable, TheOpenLoopWarningsReadTheSameInTextAndHtml) {
  const RunStats stats = behind_schedule();
  std::ostringstream text;
  print_summary(text, stats, "t");
  const std::string html = render_html_report(stats, nlohmann::json::object(), {}, "t");
  for (const std::string& sentence :
       {unsent_warning(stats.unsent),
        late_start_warning(stats.late_starts, stats.max_start_lag_us)}) {
    EXPECT_NE(text.str().find(sentence), std::string::npos) << sentence << "\n" << text.str();
    EXPECT_NE(html.find(sentence), std::string::npos) << sentence;
  }
  EXPECT_NE(html.find(resent_reason()), std::string::npos);
  EXPECT_NE(text.str().find(resent_reason("\n                 ")), std::string::npos) << text.str();
}

}  // namespace
}  // namespace loadlab::loadgen
