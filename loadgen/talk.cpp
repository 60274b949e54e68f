#include "loadgen/talk.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

#include "loadgen/capacity.h"
#include "loadgen/engine.h"
#include "loadgen/flag_bounds.h"
#include "loadgen/open_files.h"
#include "loadgen/outputs/json_report.h"
#include "loadgen/outputs/report_input.h"
#include "loadgen/target.h"

namespace loadlab::loadgen {
namespace {

constexpr std::uint64_t kMaxTalkConcurrency = 100'000;

struct TalkRun {
  std::string name;
  RunOptions options;
  RunStats stats;
};

// The shortest time any client could take: the longest single delay, or all the delays
// spread perfectly over the allowed concurrency, whichever is longer. Taken from the delays
// the server reports in Server-Timing; estimated from the template when it sends none.
double ideal_seconds(const TalkRun& run, std::uint64_t max_delay_ms) {
  const auto it = run.stats.server_timing_us.find("delay");
  const double requests = static_cast<double>(run.stats.total());
  if (it == run.stats.server_timing_us.end() || it->second.count() == 0) {
    const double mean_ms = (1.0 + static_cast<double>(max_delay_ms)) / 2;
    return std::max(static_cast<double>(max_delay_ms),
                    requests * mean_ms / run.options.concurrency) /
           1000.0;
  }
  const LatencyHistogram& delays = it->second;
  const double total_us = delays.mean() * static_cast<double>(delays.count());
  return std::max(static_cast<double>(delays.max()), total_us / run.options.concurrency) / 1e6;
}

}  // namespace

void add_talk_options(CLI::App& talk, TalkOptions& o) {
  talk.add_option("base_url", o.base_url, "The server, e.g. http://127.0.0.1:8080")
      ->required()
      ->envname("LOADLAB_URL");
  // Each unbounded burst is its own concurrency: bounded like -c.
  talk.add_option("--unbounded", o.unbounded, "Request counts fired all at once, no semaphore")
      ->delimiter(',')
      ->check(whole_number_in(1, kMaxTalkConcurrency))
      ->capture_default_str();
  talk.add_option("-n,--requests", o.requests, "Requests of the semaphore run")
      ->check(whole_number_in(1, 1'000'000'000))
      ->capture_default_str();
  talk.add_option("-c,--concurrency", o.concurrency, "The semaphore")
      ->check(whole_number_in(1, kMaxTalkConcurrency))
      ->capture_default_str();
  talk.add_option("--max-delay-ms", o.max_delay_ms, "Delays are {rand:1:MAX} ms")
      ->check(whole_number_in(1, 60000))
      ->capture_default_str();
  talk.add_flag("--no-capacity{false}", o.capacity,
                "Skip the last act (the capacity of /prime/N under p99<100ms and errors<1%)");
  talk.add_option("--one-worker", o.one_worker_url,
                  "A second server started with --workers 1: the last act measures its capacity "
                  "beside BASE's (all its workers)")
      ->envname("LOADLAB_ONE_WORKER_URL");
  talk.add_option("--prime", o.prime, "The last act's /prime/N (about 2 ms of trial division)")
      ->check(whole_number_in(2, UINT64_MAX))
      ->capture_default_str();
  talk.add_option_function<std::string>(
          "--capacity-step",
          [&o](const std::string& t) { o.capacity_step_ms = parse_duration_ms(t); },
          "Each capacity step's length (default 2s)")
      ->check(duration_in(100, 60'000));
  add_output_options(talk, OutputCommand::kTalk, o.outputs);
}

namespace {

// The last act: capacity grows with worker processes, not with the event loop.
std::vector<CapacityReport> capacity_act(const TalkOptions& o, std::ostream& out) {
  std::vector<std::pair<std::string, std::string>> servers;  // label, base URL
  if (!o.one_worker_url.empty()) {
    std::string one = o.one_worker_url;
    while (!one.empty() && one.back() == '/') one.pop_back();
    servers.emplace_back("1 worker", one);
  }
  std::string base = o.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  servers.emplace_back("all workers", base);
  out << "\nThe last act: how many /prime/" << o.prime
      << " per second each server answers with p99 < 100ms and errors < 1%\n";
  std::vector<CapacityReport> reports;
  for (const auto& [label, url] : servers) {
    CapacityOptions c;
    c.run.urls = {url + "/prime/" + std::to_string(o.prime)};
    c.run.timeout_ms = 5'000;
    c.rate_range = "20..100000";
    c.precision = "10%";
    c.step_ms = o.capacity_step_ms;
    c.settle_ms = 1'000;
    c.slos = {"p99<100ms", "errors<1%"};
    c.run.outputs.quiet = true;
    CapacityReport report;
    run_capacity(c, &report);
    out << "  " << label << " (" << url << "): " << capacity_sentence(report) << "\n";
    out.flush();
    reports.push_back(std::move(report));
  }
  if (reports.size() == 2 && reports[0].search.best && reports[1].search.best) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "  all workers / 1 worker = %.2fx: CPU-bound work scales with processes; the "
                  "event loop only waits.\n",
                  *reports[1].search.best / *reports[0].search.best);
    out << line;
  } else if (reports.size() == 1) {
    out << "  (give --one-worker URL, a server started with --workers 1, to compare)\n";
  }
  return reports;
}

}  // namespace

int run_talk(const TalkOptions& o) {
  // The last act's second server is checked now, not after every act has run (the usage error
  // would then lose their outputs).
  if (o.capacity && !o.one_worker_url.empty()) {
    try {
      parse_target(o.one_worker_url);
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument("--one-worker: " + std::string(error.what()));
    }
  }
  std::uint64_t widest = o.concurrency;
  for (const auto n : o.unbounded) widest = std::max(widest, n);
  check_open_file_budget(widest, 1, widest == o.concurrency ? "-c" : "--unbounded");
  std::string base = o.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + "/{rand:1:" + std::to_string(o.max_delay_ms) + "}/";

  std::vector<TalkRun> runs;
  for (const auto n : o.unbounded) {
    RunOptions options;
    options.urls = {url};
    options.requests = n;
    options.concurrency = static_cast<unsigned>(n);
    options.timeout_ms = o.timeout_ms;
    runs.push_back({"unbounded", options, {}});
  }
  RunOptions bounded;
  bounded.urls = {url};
  bounded.requests = o.requests;
  bounded.concurrency = o.concurrency;
  bounded.timeout_ms = o.timeout_ms;
  runs.push_back({"semaphore(" + std::to_string(o.concurrency) + ")", bounded, {}});

  std::ostream& out = console(o.outputs);
  out << "The talk's demo against " << base << ": GET /{rand:1:" << o.max_delay_ms << "}/\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-16s %8s %9s %9s %9s %8s %9s %9s %7s\n", "run", "requests",
                "in flight", "elapsed", "ideal", "ratio", "p50", "p99", "errors");
  out << line;
  bool reachable = false;
  std::vector<TalkRow> rows;
  for (auto& run : runs) {
    run.options.seed = 0;
    finalize_options(run.options);
    run.stats = run_load(run.options);
    reachable = reachable || run.stats.responses > 0;
    const double ideal = ideal_seconds(run, o.max_delay_ms);
    std::snprintf(line, sizeof line, "%-16s %8llu %9u %8.2fs %8.2fs %8.2f %7.0fms %7.0fms %7llu\n",
                  run.name.c_str(), static_cast<unsigned long long>(run.stats.total()),
                  run.options.concurrency, run.stats.duration_s(), ideal,
                  ideal > 0 ? run.stats.duration_s() / ideal : 0.0,
                  static_cast<double>(run.stats.latency_us.value_at_percentile(50)) / 1000,
                  static_cast<double>(run.stats.latency_us.value_at_percentile(99)) / 1000,
                  static_cast<unsigned long long>(run.stats.error_count()));
    out << line;
    out.flush();
    rows.push_back(
        {run.name, &run.stats, run.options.concurrency, ideal, options_to_json(run.options)});
  }
  out << "\nUnbounded, every request is in flight at once: the whole burst takes about as long as "
         "its\n"
         "slowest delay, because an event loop waits on all of them together; what grows with the\n"
         "burst is the work of juggling that many connections at once (watch p99 and errors). With "
         "a\n"
         "semaphore of "
      << o.concurrency << ", at most " << o.concurrency
      << " wait at the same time: the run takes about\n"
         "requests x mean delay / "
      << o.concurrency << ", and no request waits on the client's own overload.\n";
  std::vector<CapacityReport> capacity;
  if (o.capacity && reachable) capacity = capacity_act(o, out);
  write_talk_outputs(o.outputs, TalkReport{rows, base, url, &capacity});
  return reachable ? 0 : 1;
}

}  // namespace loadlab::loadgen
