#include "loadgen/capacity.h"

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <iostream>
#include <stdexcept>

#include "loadgen/engine.h"
#include "loadgen/flag_bounds.h"
#include "loadgen/open_files.h"
#include "loadgen/outputs/json_report.h"
#include "loadgen/outputs/output_table.h"

namespace loadlab::loadgen {
namespace {

// As a run's --rate (options.cpp; kMaxRate is options.h's).
constexpr double kMinRate = 0.001;
constexpr std::uint64_t kMaxStepMs = 3'600'000;

double parse_positive(std::string_view text, const std::string& what) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value) || value <= 0) {
    throw std::invalid_argument(what + ": '" + std::string(text) + "' is not a positive number");
  }
  return value;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::vector<Slo> parse_capacity_slos(const std::vector<std::string>& texts) {
  if (texts.empty()) {
    throw std::invalid_argument(
        "capacity needs at least one --slo (e.g. --slo 'p99<100ms' --slo 'errors<0.1%')");
  }
  std::vector<Slo> slos;
  for (const auto& text : texts) {
    slos.push_back(parse_slo(text));
    if (slos.back().metric == Slo::Metric::kRps) {
      throw std::invalid_argument("--slo '" + text +
                                  "': capacity searches the rate itself; an rps objective has "
                                  "no meaning here (use p99, errors, or a phase like queue.p99)");
    }
  }
  return slos;
}

// A run's flags that a search cannot honour, and why. Each step is a run of its own, started
// when the step before it ends, on this machine, at a rate the search picks; a fixed start
// instant would make every step after the first start late (and be judged client-limited).
struct RefusedFlag {
  const char* name;
  bool takes_value;
  const char* why;
};
constexpr RefusedFlag kRefusedFlags[] = {
    {"--start-at", true, "each step starts when the one before it ends"},
    {"--shard", true, "a search runs on one machine; its steps are not shards of one run"},
    {"--run-id", true, "a search runs on one machine; its steps are not shards of one run"},
    {"--stages", true, "a search sets each step's rate itself"},
    {"--concurrency-stages", true, "a search runs open-loop steps at rates it picks itself"},
    {"--scrape", true, "a search does not read the target's metrics"},
    {"--no-scrape", false, "a search does not read the target's metrics"},
    {"--scrape-series", true, "a search does not read the target's metrics"},
    {"--metrics-listen", true, "a search does not serve live metrics"},
};

void refuse_flags(const std::vector<std::string>& given) {
  if (given.empty()) return;
  for (const auto& flag : kRefusedFlags) {
    if (given.front() == flag.name)
      throw std::invalid_argument(given.front() + " is not for capacity: " + flag.why);
  }
}

int exit_code(SearchOutcome outcome) {
  switch (outcome) {
    case SearchOutcome::kFound:
    case SearchOutcome::kHighPassed:
      return 0;
    case SearchOutcome::kNoneMet:
      return 3;
    case SearchOutcome::kClientLimited:
      return kExitClientLimited;
    case SearchOutcome::kAborted:
      return 1;
  }
  return 1;
}

}  // namespace

void parse_rate_range(const std::string& text, SearchBounds& bounds) {
  const auto dots = text.find("..");
  if (dots == std::string::npos) {
    throw std::invalid_argument("--rate '" + text +
                                "': expected LO..HI requests per second, e.g. 100..100000");
  }
  const double low = parse_positive(std::string_view(text).substr(0, dots), "--rate LO");
  const double high = parse_positive(std::string_view(text).substr(dots + 2), "--rate HI");
  if (low < kMinRate || high > kMaxRate) {
    throw std::invalid_argument("--rate '" + text +
                                "': rates go from 0.001 to 10000000 requests per second");
  }
  if (low > high) throw std::invalid_argument("--rate '" + text + "': LO is above HI");
  bounds.low = low;
  bounds.high = high;
}

double parse_percent(const std::string& text, const char* flag) {
  std::string_view number = text;
  if (!number.empty() && number.back() == '%') number.remove_suffix(1);
  const double percent = parse_positive(number, flag);
  if (percent > 100) {
    throw std::invalid_argument(std::string(flag) + " '" + text + "' is above 100%");
  }
  return percent / 100;
}

void add_capacity_options(CLI::App& app, CapacityOptions& o) {
  add_run_options(app, o.run);
  // The run's flags that a search sets itself, per step, or writes differently.
  for (const char* name : {"--requests", "--duration", "--rate", "--interval", "--slo", "--json",
                           "--hgrm", "--html"}) {
    if (CLI::Option* option = app.get_option_no_throw(name)) app.remove_option(option);
  }
  // Taken, so that their use is a clear usage error (run_capacity), not silently wrong: hidden
  // from --help, and not read from the environment a run's LOADLAB_* variables set.
  for (const auto& flag : kRefusedFlags) {
    if (CLI::Option* option = app.get_option_no_throw(flag.name)) app.remove_option(option);
    const std::string name = flag.name;
    auto record = [&o, name] { o.refused_flags.push_back(name); };
    CLI::Option* option = flag.takes_value ? app.add_option_function<std::string>(
                                                 name, [record](const std::string&) { record(); })
                                           : app.add_flag_callback(name, record);
    option->group("");
    if (flag.takes_value) option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  app.add_option("--rate", o.rate_range,
                 "Rates to search, LO..HI requests per second (open loop, as a run's --rate)")
      ->required()
      ->envname("LOADLAB_CAPACITY_RATE");
  app.add_option("--slo", o.slos,
                 "Objective every step must meet: 'p99<100ms', 'errors<0.1%', a Server-Timing "
                 "phase's 'queue.p99<50ms' (repeatable; at least one)")
      ->allow_extra_args(false);
  app.add_option_function<std::string>(
         "--step", [&o](const std::string& t) { o.step_ms = parse_duration_ms(t); },
         "How long each step's figures are gathered (default 10s)")
      ->envname("LOADLAB_STEP")
      ->check(duration_in(100, kMaxStepMs));
  app.add_option_function<std::string>(
         "--settle", [&o](const std::string& t) { o.settle_ms = parse_duration_ms(t); },
         "Load at each step's rate before its figures start, left out of them (default 2s)")
      ->envname("LOADLAB_SETTLE")
      ->check(duration_in(0, kMaxStepMs));
  // Parsed in run_capacity: an exception inside CLI11's parse would not be a usage error.
  app.add_option("--precision", o.precision,
                 "Stop when the first failing rate is within this of the last passing one")
      ->envname("LOADLAB_PRECISION")
      ->capture_default_str();
  app.add_option("--growth", o.bounds.growth,
                 "Each step before the first failure multiplies the rate by this")
      ->envname("LOADLAB_GROWTH")
      ->check(number_in(1.01, 100))
      ->capture_default_str();
  app.add_option("--json", o.json_path, "Write the search as JSON to FILE ('-' for stdout)")
      ->envname("LOADLAB_JSON");
  app.add_option("--html", o.html_path,
                 "Write a self-contained HTML page with the latency-vs-rate plot to FILE")
      ->envname("LOADLAB_HTML");
}

int run_capacity(CapacityOptions& o, CapacityReport* out_report) {
  refuse_flags(o.refused_flags);
  parse_rate_range(o.rate_range, o.bounds);
  o.bounds.precision = parse_percent(o.precision, "--precision");
  check_bounds(o.bounds);
  o.run.requests.reset();
  o.run.duration_ms = o.settle_ms + o.step_ms;
  o.run.rate = o.bounds.low;
  finalize_options(o.run);
  const std::vector<Slo> slos = parse_capacity_slos(o.slos);  // usage errors before any traffic
  check_open_file_budget(o.run.concurrency, o.run.threads);

  CapacityReport report;
  report.url = o.run.urls.front();
  report.bounds = o.bounds;
  report.step_ms = o.step_ms;
  report.settle_ms = o.settle_ms;
  report.slos = o.slos;
  report.config = options_to_json(o.run);
  report.config["rate"] = nullptr;  // each step's own, in its report's config
  const bool quiet = o.run.outputs.quiet;
  std::ostream& console = o.json_path == "-" ? std::cerr : std::cout;
  if (!quiet) {
    char line[160];
    std::snprintf(line, sizeof line,
                  "capacity of %s: rates %g..%g req/s, steps of %.3gs after %.3gs to settle, "
                  "precision %g%%\n",
                  report.url.c_str(), o.bounds.low, o.bounds.high,
                  static_cast<double>(o.step_ms) / 1000, static_cast<double>(o.settle_ms) / 1000,
                  o.bounds.precision * 100);
    console << line;
    console.flush();
  }

  const auto started = std::chrono::steady_clock::now();
  const unsigned threads = std::max(1u, std::min(o.run.threads, o.run.concurrency));
  report.search = search_capacity(o.bounds, [&](double rate) {
    RunOptions step = o.run;
    step.rate = rate;
    RunHooks hooks;
    hooks.settle_ms = o.settle_ms;
    const double cpu_before = cpu_seconds();
    const auto step_start = std::chrono::steady_clock::now();
    CapacityStepRecord record;
    record.asked = rate;
    record.config = options_to_json(step);
    // Growth ends at the first failure; every step after it bisects.
    record.bisecting = std::any_of(
        report.steps.begin(), report.steps.end(),
        [](const CapacityStepRecord& s) { return s.judgement.verdict == StepVerdict::kFail; });
    record.stats = run_load(step, hooks);
    record.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
    // Spinning for events (--busy-poll-us) is CPU time the engines would otherwise have spent
    // asleep: a client that spins is no nearer its limit for it.
    const double cpu_used = std::max(
        0.0, cpu_seconds() - cpu_before - static_cast<double>(record.stats.busy_poll_cpu_ns) / 1e9);
    record.cpu_cores = record.wall_s > 0 ? cpu_used / record.wall_s : 0;
    record.judgement = judge_step(slos, record.stats,
                                  ClientLoad{record.cpu_cores, threads, o.run.concurrency,
                                             static_cast<double>(o.step_ms) / 1000});
    report.steps.push_back(std::move(record));
    if (!quiet) {
      console << step_line(report.steps.size(), report.steps.back());
      console.flush();
    }
    return report.steps.back().judgement.verdict;
  });
  report.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!quiet) console << render_capacity_text(report);
  if (!o.json_path.empty()) write_output(o.json_path, render_capacity_json(report));
  if (!o.html_path.empty()) write_output(o.html_path, render_capacity_html(report));
  if (report.search.outcome == SearchOutcome::kAborted)
    std::cerr << "loadlab-loadgen: no connection could be made to " << report.url << "\n";
  const int code = exit_code(report.search.outcome);
  if (out_report != nullptr) *out_report = std::move(report);
  return code;
}

}  // namespace loadlab::loadgen
