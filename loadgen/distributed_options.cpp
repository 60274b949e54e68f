#include "loadgen/distributed_options.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "loadgen/start_at.h"

namespace loadlab::loadgen {
namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void finalize_stages(RunOptions& o) {
  if (!o.stages_text.empty()) {
    if (!o.concurrency_stages_text.empty()) {
      throw std::invalid_argument(
          "--stages (an open loop's rate) and --concurrency-stages (a closed loop's -c): give "
          "one");
    }
    if (o.rate) throw std::invalid_argument("--stages is the rate: give it or --rate, not both");
    if (o.requests || o.duration_ms)
      throw std::invalid_argument("--stages sets the length of the run: no -n or -d with it");
    o.stages = parse_stages(o.stages_text, kMaxRate, "--stages");
    const auto slots = RateSchedule::staged(o.stages).slots();
    if (slots == 0) throw std::invalid_argument("--stages asks for no requests (every rate is 0)");
    o.requests = slots;
  }
  if (!o.concurrency_stages_text.empty()) {
    if (o.rate) {
      throw std::invalid_argument(
          "--concurrency-stages ramps a closed loop's -c; --rate makes an open loop (use "
          "--stages for its rate)");
    }
    if (o.requests || o.duration_ms) {
      throw std::invalid_argument(
          "--concurrency-stages sets the length of the run: no -n or -d with it");
    }
    o.concurrency_stages =
        parse_stages(o.concurrency_stages_text, kMaxConcurrency, "--concurrency-stages");
    double peak = 0;
    for (const auto& stage : o.concurrency_stages) peak = std::max({peak, stage.from, stage.to});
    if (peak < 1) {
      throw std::invalid_argument(
          "--concurrency-stages never asks for a connection (every value is below 1)");
    }
    o.concurrency = static_cast<unsigned>(std::floor(peak));
    o.duration_ms = stages_duration_ms(o.concurrency_stages);
  }
}

void finalize_shard(RunOptions& o) {
  if (!o.shard_text.empty())
    o.shard = parse_shard(o.shard_text, std::getenv("JOB_COMPLETION_INDEX"));
  if (!o.start_at_text.empty()) o.start_at_unix = parse_start_at(o.start_at_text, unix_now());
  if (!o.shard.sharded()) return;
  const std::string as_shard = " for --shard " + o.shard_text;
  const std::uint64_t requests = o.requests.value_or(o.duration_ms ? 0 : 1000);
  // Named as the user gave them: stages set -n (their slots) and -c (their peak) themselves.
  const std::string requests_given =
      !o.stages_text.empty()
          ? "--stages '" + o.stages_text + "' (" + std::to_string(requests) + " requests)"
      : o.requests ? "-n " + std::to_string(requests)
                   : "-n " + std::to_string(requests) + " (the default)";
  if (requests > 0 && requests < o.shard.count) {
    throw std::invalid_argument(requests_given + " leaves some shards nothing" + as_shard +
                                ": at least " + std::to_string(o.shard.count) + " requests");
  }
  const std::string connections_given = !o.concurrency_stages_text.empty()
                                            ? "--concurrency-stages '" + o.concurrency_stages_text +
                                                  "' (at most " + std::to_string(o.concurrency) +
                                                  " connections)"
                                            : "-c " + std::to_string(o.concurrency);
  if (o.concurrency < o.shard.count) {
    throw std::invalid_argument(connections_given + " leaves some shards no connection" + as_shard +
                                ": at least " + std::to_string(o.shard.count));
  }
}

}  // namespace

void add_distributed_options(CLI::App& app, RunOptions& o) {
  app.add_option("--shard", o.shard_text,
                 "Run shard I of N (I from 0): this process's exact share of -n, -c and the "
                 "rate, its own {seq} numbers; 'auto/N' takes I from JOB_COMPLETION_INDEX "
                 "(a Kubernetes Indexed Job)")
      ->envname("LOADLAB_SHARD");
  app.add_option("--run-id", o.run_id,
                 "Names the run in the report, so that merge can check its shards belong "
                 "together (default: from the start time and the options)")
      ->envname("LOADLAB_RUN_ID");
  app.add_option("--start-at", o.start_at_text,
                 "Wait and start at this wall-clock time: RFC 3339 (2025-05-01T12:00:00Z) or "
                 "'+10s' from now; every shard given the same time starts together")
      ->envname("LOADLAB_START_AT");
  app.add_option("--stages", o.stages_text,
                 "Open loop with a rate that follows stages, e.g. '0>1000@30s,1000@2m,1000>0@30s' "
                 "(ramp 0 to 1000 req/s over 30 s, hold 2 min, ramp down); sets the run's length")
      ->envname("LOADLAB_STAGES");
  app.add_option("--concurrency-stages", o.concurrency_stages_text,
                 "Closed loop with a -c that follows stages, same form: '1>100@1m,100@5m' "
                 "(connections); sets the run's length")
      ->envname("LOADLAB_CONCURRENCY_STAGES");
}

void finalize_distributed_options(RunOptions& o) {
  finalize_stages(o);
  finalize_shard(o);
}

}  // namespace loadlab::loadgen
