// loadlab-loadgen: semaphore-throttled HTTP load with HDR latency histograms.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>

#include "loadgen/capacity.h"
#include "loadgen/engine.h"
#include "loadgen/open_files.h"
#include "loadgen/outputs/json_report.h"
#include "loadgen/outputs/output_table.h"
#include "loadgen/outputs/report_input.h"
#include "loadgen/run_identity.h"
#include "loadgen/run_observer.h"
#include "loadgen/shard.h"
#include "loadgen/shard_merge.h"
#include "loadgen/talk.h"

namespace {

using namespace loadlab::loadgen;

constexpr int kExitRan = 0;
constexpr int kExitUnreachable = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSloBreached = 3;
constexpr int kExitPartial = 4;  // merge: shards of the run are missing (see --allow-partial)

// No connect ever succeeded: every request failed to connect, or was still connecting when
// the run was cancelled (a cancel is not a connect error, but it reached nothing either).
bool nothing_reachable(const RunStats& stats) {
  return stats.responses == 0 && stats.connect_us.count() == 0;
}

std::vector<Slo> parse_slos(const std::vector<std::string>& texts) {
  std::vector<Slo> slos;
  for (const auto& text : texts) slos.push_back(parse_slo(text));
  return slos;
}

// Prints and writes everything a run (or a merge) produced; returns the SLO verdicts.
std::vector<SloResult> report(const RunStats& stats, const nlohmann::json& config,
                              const std::vector<Slo>& slos, const OutputTargets& outputs,
                              const std::string& title) {
  const auto results = evaluate_slos(slos, stats);
  write_run_outputs(outputs, RunReport{stats, config, results, title});
  return results;
}

int run_command(RunOptions& options) {
  finalize_options(options);
  settle_run_identity(options);
  const std::vector<Slo> slos = parse_slos(options.slos);  // usage errors before any traffic
  // This process's connections (a shard's share of -c), and the observer's descriptors.
  check_open_file_budget(share_of(options.concurrency, options.shard), options.threads, "-c",
                         RunObserver::wanted(options) ? kObserverFds : 0);
  RunHooks hooks;
  hooks.stop_on_signals = true;
  hooks.progress = !options.outputs.quiet && isatty(STDERR_FILENO) && isatty(STDOUT_FILENO);
  std::optional<RunObserver> observer;  // the target's metrics, --metrics-listen
  if (RunObserver::wanted(options)) hooks.watcher = &observer.emplace(options);
  RunStats stats = run_load(options, hooks);
  if (observer) stats.target = observer->result();
  stamp_run_identity(options, stats);
  const auto results = report(
      stats, options_to_json(options), slos, options.outputs,
      "loadlab-loadgen: " + options.urls.front() +
          (options.urls.size() > 1 ? " (+" + std::to_string(options.urls.size() - 1) + " more)"
                                   : ""));
  // Once per run, not once per failed request: the first TLS failure, with what to do.
  if (!stats.tls_failure.empty()) std::cerr << "loadlab-loadgen: " << stats.tls_failure << "\n";
  if (nothing_reachable(stats)) {
    std::cerr << "loadlab-loadgen: no connection could be made to " << options.urls.front() << "\n";
    return kExitUnreachable;
  }
  return all_passed(results) ? kExitRan : kExitSloBreached;
}

int merge_command(const std::vector<std::string>& inputs, const OutputTargets& outputs,
                  const std::vector<std::string>& slo_texts, bool allow_partial) {
  const std::vector<Slo> slos = parse_slos(slo_texts);
  RunStats merged;
  bool first = true;
  nlohmann::json config;
  std::vector<ShardedReport> shards;
  for (const auto& path : inputs) {
    std::ifstream in(path);
    if (!in) throw std::invalid_argument("cannot read '" + path + "'");
    nlohmann::json document;
    try {
      document = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
      throw std::invalid_argument("'" + path + "' is not JSON: " + error.what());
    }
    RunStats stats = report_from_json(document);
    shards.push_back({path, stats.run_id, stats.shard_count, stats.shards,
                      document.value("config", nlohmann::json::object())});
    if (first) {
      merged = std::move(stats);
      config = document.at("config");
      first = false;
    } else {
      merged.merge(stats);
    }
  }
  const ShardCheck check = check_shards(shards);  // before any output: a mix is refused
  if (check.sharded) {
    merged.run_id = check.run_id;
    merged.shard_count = check.count;
    merged.shards = check.present;
    if (!check.complete()) merged.warnings.insert(merged.warnings.begin(), check.partial_line());
  }
  const auto results =
      report(merged, config, slos, outputs,
             check.sharded ? "merged " + std::to_string(check.present.size()) + " of " +
                                 std::to_string(check.count) + " shards of run " + check.run_id
                           : "merged " + std::to_string(inputs.size()) + " reports");
  if (!check.complete()) {
    std::cerr << "loadlab-loadgen merge: " << check.partial_line()
              << (allow_partial ? " (merged anyway: --allow-partial)\n"
                                : "; exit 4 (--allow-partial to accept it)\n");
    if (!allow_partial) return kExitPartial;
  }
  return all_passed(results) ? kExitRan : kExitSloBreached;
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
  if (!stats.tls_failure.empty())
    std::cerr << "loadlab-loadgen probe: " << stats.tls_failure << "\n";
  for (const auto& [status, count] : stats.status_codes) {
    if (status >= 200 && status < 300 && count > 0) return 0;
  }
  std::cerr << "loadlab-loadgen probe: " << url << " is not healthy\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "loadlab-loadgen: fires HTTP requests with at most C in flight (the talk's semaphore) and "
      "reports "
      "latency percentiles from an HDR histogram.",
      "loadlab-loadgen"};
  app.set_version_flag("--version", std::string("loadlab-loadgen ") + LOADLAB_VERSION);
  RunOptions options;
  add_run_options(app, options);

  CLI::App* talk = app.add_subcommand(
      "talk", "Replay the talk's demo: unbounded bursts, then a semaphore of 100");
  TalkOptions talk_options;
  add_talk_options(*talk, talk_options);

  CLI::App* merge = app.add_subcommand(
      "merge", "Merge JSON reports (from several processes or machines) losslessly");
  std::vector<std::string> merge_inputs;
  OutputTargets merge_outputs;
  std::vector<std::string> merge_slos;
  merge->add_option("reports", merge_inputs, "JSON reports written with --json")
      ->required()
      ->check(CLI::ExistingFile);
  add_output_options(*merge, OutputCommand::kMerge, merge_outputs);
  merge
      ->add_option("--slo", merge_slos,
                   "Objective checked on the merged run (exit 3 when breached); repeatable")
      ->allow_extra_args(false);
  merge->add_flag("-q,--quiet", merge_outputs.quiet, "No human summary");
  bool merge_allow_partial = false;
  merge->add_flag("--allow-partial", merge_allow_partial,
                  "Shards of the run are missing: merge them anyway and exit 0 (or 3), not 4; "
                  "every output still says the run is partial");

  CLI::App* capacity = app.add_subcommand(
      "capacity",
      "Find the highest open-loop rate that meets every --slo: grow the rate, then bisect");
  CapacityOptions capacity_options;
  add_capacity_options(*capacity, capacity_options);

  CLI::App* probe =
      app.add_subcommand("probe", "One GET; exit 0 on a 2xx (a health check that needs no curl)");
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
  } catch (const std::invalid_argument& error) {
    // CLI11 2.1 converts a flag's environment value (LOADLAB_NO_KEEPALIVE=maybe) outside its
    // own error handling: without this, a bad value aborted the program.
    std::cerr << "loadlab-loadgen: bad value in a LOADLAB_ environment variable: " << error.what()
              << "\n";
    return kExitUsage;
  }

  try {
    if (talk->parsed()) return run_talk(talk_options);
    if (merge->parsed())
      return merge_command(merge_inputs, merge_outputs, merge_slos, merge_allow_partial);
    if (probe->parsed()) return probe_command(probe_url);
    if (capacity->parsed()) return run_capacity(capacity_options);
    return run_command(options);
  } catch (const std::invalid_argument& error) {
    std::cerr << "loadlab-loadgen: " << error.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "loadlab-loadgen: " << error.what() << "\n";
    return kExitUnreachable;
  }
}
