// What one load run is asked to do, built once from the command line and then only read.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/busy_poll.h"
#include "loadgen/observe_options.h"
#include "loadgen/outputs/output_table.h"
#include "loadgen/shard.h"
#include "loadgen/stages.h"

namespace loadlab::loadgen {

// -c's ceiling; the open-file limit usually binds first (check_open_file_budget).
inline constexpr unsigned kMaxConcurrency = 1'000'000;
// --rate's ceiling, beyond any machine's reach; it bounds the schedule's arithmetic.
inline constexpr double kMaxRate = 10'000'000;
// A --urls-file line's weight, at most; the request mix is a table of the weights' sum.
inline constexpr unsigned kMaxUrlWeight = 1000;

struct RunOptions {
  std::vector<std::string> urls;
  std::vector<unsigned>
      weights;  // per URL, turns in each round of the mix (1 unless the urls file says)
  std::string urls_file;
  std::optional<std::uint64_t> requests;     // -n
  std::optional<std::uint64_t> duration_ms;  // -d
  unsigned concurrency = 100;                // the semaphore: at most this many in flight
  std::optional<double> rate;                // open loop: requests per second, on schedule
  std::uint64_t interval_ms = 1000;          // time-series resolution
  unsigned threads = 1;
  std::string method = "GET";
  std::vector<std::string> headers;
  std::string body;
  std::string body_file;
  std::uint64_t timeout_ms = 30000;
  std::uint64_t connect_timeout_ms = 5000;
  std::uint64_t grace_ms =
      1000;  // -d over or Ctrl-C: in-flight requests get this long, then are cancelled
  bool keepalive = true;
  // https:// targets (docs/loadgen.md, "HTTPS").
  bool insecure = false;        // -k: no certificate or name verification
  std::string cacert;           // trust only this PEM file instead of the system store
  std::string cert;             // client certificate chain (PEM)
  std::string key;              // its private key (PEM); empty: in the --cert file
  std::string tls_min = "1.2";  // "1.2" or "1.3"
  bool tls_resume = true;       // resume TLS sessions when reconnecting
  // How long each engine thread may spin looking for events before it sleeps (common/busy_poll.h);
  // 0: it sleeps at once, as a plain event loop does.
  std::uint64_t busy_poll_us = kDefaultBusyPollUs;
  std::uint64_t seed = 0;  // 0: random
  OutputTargets outputs;   // the report files; outputs.quiet (-q) also hides the progress line
  std::vector<std::string> slos;
  ObserveOptions observe;  // --scrape, --metrics-listen
  // A run spread over processes or machines, and load in stages (docs/loadgen.md, "Shards",
  // "Stages"). The other fields describe the whole run; the engine takes this shard's part.
  std::string shard_text;  // --shard as given ("2/4", "auto/4")
  ShardSpec shard;         // {0, 1}: the whole run in this process
  std::string run_id;      // --run-id, or the default (run_identity.h)
  std::string start_at_text;
  std::optional<double> start_at_unix;  // --start-at, resolved to Unix seconds
  std::string stages_text;              // --stages: the open loop's rate over time
  std::vector<Stage> stages;
  std::string concurrency_stages_text;  // --concurrency-stages: the closed loop's -c over time
  std::vector<Stage> concurrency_stages;
};

// An open loop: --rate or --stages.
inline bool open_loop(const RunOptions& options) {
  return options.rate.has_value() || !options.stages.empty();
}

// "250ms", "10s", "2m", "1h", or a plain number of seconds. Throws std::invalid_argument.
std::uint64_t parse_duration_ms(const std::string& text);

void add_run_options(CLI::App& app, RunOptions& options);

// Reads --urls-file and --body-file, picks a seed, checks the combination. Throws
// std::invalid_argument with a message for the user.
void finalize_options(RunOptions& options);

}  // namespace loadlab::loadgen
