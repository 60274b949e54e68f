// Every output loadlab-loadgen can write, declared once: the flag that asks for it in each
// command, its help line, where it goes and the function that renders it. Options parsing,
// the run, merge and the talk preset all read this table; a new output format is its writer
// file, one row in output_table.cpp, and its test.
#pragma once

#include <CLI/CLI.hpp>
#include <array>
#include <cstddef>
#include <iosfwd>
#include <span>
#include <string>

namespace loadlab::loadgen {

struct RunReport;
struct TalkReport;

// The table's length; output_table.cpp checks it against the rows.
inline constexpr std::size_t kOutputWriterCount = 4;

// Where each output goes, as the flags set it; a value the run's options carry.
struct OutputTargets {
  std::array<std::string, kOutputWriterCount> paths;  // by row of the table; empty: not written
  bool quiet = false;                                 // -q: no human summary
};

enum class OutputCommand { kRun, kMerge, kTalk };

// How one command offers an output: the option's names and help. No names: not offered.
struct OutputFlag {
  const char* names = nullptr;
  const char* help = nullptr;
};

enum class OutputDestination {
  // The human summary: stdout, or stderr when a report takes stdout; -q silences it.
  kConsole,
  // FILE, or stdout for '-', which sends the human summary to stderr so the report parses.
  kFileOrStdout,
  // FILE. ('-' writes to stdout as for any file output, but the summary stays there too.)
  kFile,
};

struct OutputWriter {
  const char* name;  // "json": how tests and messages name it
  OutputDestination destination;
  const char* run_envname;  // the run command's environment variable, or nullptr
  OutputFlag run, merge, talk;
  std::string (*render)(const RunReport&);        // a run's or a merge's output
  std::string (*render_talk)(const TalkReport&);  // the talk preset's, or nullptr
};

std::span<const OutputWriter, kOutputWriterCount> output_writers();

// Declares the command's output flags, in the table's order, bound to `targets`.
void add_output_options(CLI::App& app, OutputCommand command, OutputTargets& targets);

// Where the human-readable text goes: stdout, unless a report was sent there.
std::ostream& console(const OutputTargets& targets);

// Writes every output `targets` asks for, in the table's order. Throws std::runtime_error
// naming a file it cannot write.
void write_run_outputs(const OutputTargets& targets, const RunReport& report);
void write_talk_outputs(const OutputTargets& targets, const TalkReport& report);

// Writes `text` to `path`, or to stdout for "-". Throws std::runtime_error if it cannot.
void write_output(const std::string& path, const std::string& text);

}  // namespace loadlab::loadgen
