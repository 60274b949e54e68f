#include "loadgen/outputs/output_table.h"

#include <fstream>
#include <iostream>
#include <stdexcept>

#include "loadgen/outputs/hgrm.h"
#include "loadgen/outputs/html_report.h"
#include "loadgen/outputs/json_report.h"
#include "loadgen/outputs/text_summary.h"

namespace loadlab::loadgen {
namespace {

// The order of the rows is the order of the flags in --help and the order of writing.
constexpr OutputWriter kWriters[] = {
    {.name = "text",
     .destination = OutputDestination::kConsole,
     .run_envname = nullptr,
     .run = {},
     .merge = {},
     .talk = {},
     .render = render_text_summary,
     .render_talk = nullptr},  // the talk prints its table as each run ends
    {.name = "json",
     .destination = OutputDestination::kFileOrStdout,
     .run_envname = "LOADLAB_JSON",
     .run = {"--json", "Write the JSON report to FILE ('-' for stdout)"},
     .merge = {"-o,--output,--json", "Write the merged JSON report to FILE ('-' for stdout)"},
     .talk = {"--json", "Write every run's report to FILE ('-' for stdout)"},
     .render = render_json_report,
     .render_talk = render_talk_json},
    {.name = "hgrm",
     .destination = OutputDestination::kFile,
     .run_envname = "LOADLAB_HGRM",
     .run = {"--hgrm", "Write the latency distribution as HdrHistogram .hgrm text"},
     .merge = {"--hgrm", "Write the merged latency distribution as .hgrm text"},
     .talk = {},
     .render = render_hgrm,
     .render_talk = nullptr},
    {.name = "html",
     .destination = OutputDestination::kFile,
     .run_envname = "LOADLAB_HTML",
     .run = {"--html", "Write a self-contained HTML report with plots to FILE"},
     .merge = {"--html", "Write the merged HTML report to FILE"},
     .talk = {"--html", "Write a self-contained HTML page with the table and plots to FILE"},
     .render = render_html,
     .render_talk = render_talk_html},
};
static_assert(std::size(kWriters) == kOutputWriterCount,
              "kOutputWriterCount is the number of rows in kWriters");

const OutputFlag& flag_for(const OutputWriter& writer, OutputCommand command) {
  switch (command) {
    case OutputCommand::kRun:
      return writer.run;
    case OutputCommand::kMerge:
      return writer.merge;
    case OutputCommand::kTalk:
      return writer.talk;
  }
  return writer.run;
}

}  // namespace

std::span<const OutputWriter, kOutputWriterCount> output_writers() { return kWriters; }

void add_output_options(CLI::App& app, OutputCommand command, OutputTargets& targets) {
  for (std::size_t i = 0; i < kOutputWriterCount; ++i) {
    const OutputFlag& flag = flag_for(kWriters[i], command);
    if (flag.names == nullptr) continue;
    CLI::Option* option = app.add_option(flag.names, targets.paths[i], flag.help);
    if (command == OutputCommand::kRun && kWriters[i].run_envname != nullptr)
      option->envname(kWriters[i].run_envname);
  }
}

std::ostream& console(const OutputTargets& targets) {
  for (std::size_t i = 0; i < kOutputWriterCount; ++i) {
    if (kWriters[i].destination == OutputDestination::kFileOrStdout && targets.paths[i] == "-")
      return std::cerr;
  }
  return std::cout;
}

void write_run_outputs(const OutputTargets& targets, const RunReport& report) {
  for (std::size_t i = 0; i < kOutputWriterCount; ++i) {
    const OutputWriter& writer = kWriters[i];
    if (writer.destination == OutputDestination::kConsole) {
      if (!targets.quiet) console(targets) << writer.render(report);
    } else if (!targets.paths[i].empty()) {
      write_output(targets.paths[i], writer.render(report));
    }
  }
}

void write_talk_outputs(const OutputTargets& targets, const TalkReport& report) {
  for (std::size_t i = 0; i < kOutputWriterCount; ++i) {
    if (kWriters[i].render_talk != nullptr && !targets.paths[i].empty()) {
      write_output(targets.paths[i], kWriters[i].render_talk(report));
    }
  }
}

void write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    std::cout.flush();
    return;
  }
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

}  // namespace loadlab::loadgen
