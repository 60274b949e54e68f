// loadlab-loadgen: semaphore-throttled HTTP load with HDR latency histograms.
#include <CLI/CLI.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "loadgen/engine.h"
#include "loadgen/report.h"
#include "loadgen/talk.h"

namespace {

using namespace loadlab::loadgen;

constexpr int kExitRan = 0;
constexpr int kExitUnreachable = 1;
constexpr int kExitUsage = 2;

bool nothing_reachable(const RunStats& stats) {
  return stats.responses == 0 && stats.errors[static_cast<std::size_t>(ErrorKind::kConnect)] == stats.total();
}

int run_command(RunOptions& options) {
  finalize_options(options);
  const RunStats stats = run_load(options);
  if (!options.quiet) {
    std::ostream& out = options.json_path == "-" ? std::cerr : std::cout;
    print_summary(out, stats, "loadlab-loadgen: " + options.urls.front() + (options.urls.size() > 1 ? " (+more)" : ""));
  }
  if (!options.json_path.empty()) write_output(options.json_path, report_to_json(stats, options_to_json(options)).dump(2) + "\n");
  if (!options.hgrm_path.empty()) {
    std::ostringstream text;
    stats.latency_us.write_hgrm(text);
    write_output(options.hgrm_path, text.str());
  }
  if (nothing_reachable(stats)) {
    std::cerr << "loadlab-loadgen: no connection could be made to " << options.urls.front() << "\n";
    return kExitUnreachable;
  }
  return kExitRan;
}

int merge_command(const std::vector<std::string>& inputs, const std::string& output) {
  RunStats merged;
  bool first = true;
  nlohmann::json config;
  for (const auto& path : inputs) {
    std::ifstream in(path);
    if (!in) throw std::invalid_argument("cannot read '" + path + "'");
    nlohmann::json report;
    try {
      report = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
      throw std::invalid_argument("'" + path + "' is not JSON: " + error.what());
    }
    RunStats stats = report_from_json(report);
    if (first) {
      merged = std::move(stats);
      config = report.at("config");
      first = false;
    } else {
      merged.merge(stats);
    }
  }
  print_summary(output == "-" ? std::cerr : std::cout, merged, "merged " + std::to_string(inputs.size()) + " reports");
  if (!output.empty()) write_output(output, report_to_json(merged, config).dump(2) + "\n");
  return kExitRan;
}

int probe_command(const std::string& url) {
  RunOptions options;
  options.urls = {url};
  options.requests = 1;
  options.concurrency = 1;
  options.timeout_ms = 2000;
  options.connect_timeout_ms = 2000;
  options.keepalive = false;
  finalize_options(options);
  const RunStats stats = run_load(options);
  for (const auto& [status, count] : stats.status_codes) {
    if (status >= 200 && status < 300 && count > 0) return 0;
  }
  std::cerr << "loadlab-loadgen probe: " << url << " is not healthy\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"loadlab-loadgen: fires HTTP requests with at most C in flight (the talk's semaphore) and reports "
               "latency percentiles from an HDR histogram.",
               "loadlab-loadgen"};
  app.set_version_flag("--version", std::string("loadlab-loadgen ") + LOADLAB_VERSION);
  RunOptions options;
  add_run_options(app, options);

  CLI::App* talk = app.add_subcommand("talk", "Replay the talk's demo: unbounded bursts, then a semaphore of 100");
  TalkOptions talk_options;
  add_talk_options(*talk, talk_options);

  CLI::App* merge = app.add_subcommand("merge", "Merge JSON reports (from several processes or machines) losslessly");
  std::vector<std::string> merge_inputs;
  std::string merge_output;
  merge->add_option("reports", merge_inputs, "JSON reports written with --json")->required()->check(CLI::ExistingFile);
  merge->add_option("-o,--output", merge_output, "Write the merged JSON report to FILE ('-' for stdout)");

  CLI::App* probe = app.add_subcommand("probe", "One GET; exit 0 on a 2xx (a health check that needs no curl)");
  std::string probe_url;
  probe->add_option("url", probe_url, "URL to probe")->required();
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  try {
    if (talk->parsed()) return run_talk(talk_options);
    if (merge->parsed()) return merge_command(merge_inputs, merge_output);
    if (probe->parsed()) return probe_command(probe_url);
    return run_command(options);
  } catch (const std::invalid_argument& error) {
    std::cerr << "loadlab-loadgen: " << error.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "loadlab-loadgen: " << error.what() << "\n";
    return kExitUnreachable;
  }
}
