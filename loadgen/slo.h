// Service-level objectives checked at the end of a run: --slo 'p99<250ms', 'errors<1%',
// 'rps>1000', and on the server's own phases (Server-Timing): 'queue.p99<50ms',
// 'compute.p50<5ms'. A breach makes the run exit 3, so a CI job can gate on a load test.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

struct Slo {
  enum class Metric { kPercentile, kMean, kMax, kErrorPercent, kRps };
  enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual };

  std::string text;  // as the user wrote it
  // A Server-Timing metric name ("queue", "compute", "delay"): the objective is on that phase's
  // durations as the server reported them; empty: on the client's latency.
  std::string phase;
  Metric metric = Metric::kPercentile;
  double percentile = 0;  // for kPercentile
  Op op = Op::kLess;
  double threshold = 0;  // microseconds for latencies, percent for errors, req/s for rps
};

struct SloResult {
  Slo slo;
  double actual = 0;  // in the threshold's unit
  bool passed = false;
  // A latency objective with nothing to measure: no response, or no response that reported
  // the phase in Server-Timing. It fails: an objective cannot pass on nothing.
  bool no_data = false;
};

// Parses "<metric><op><number><unit>": metric p50..p99.999, mean, max, errors, rps, or
// PHASE.p99 / PHASE.mean / PHASE.max for a Server-Timing phase (a token: "queue.p99.9<5ms");
// op < <= > >=; latency units us, ms, s (ms when omitted); errors take % (or nothing); rps takes
// nothing. Throws std::invalid_argument saying what is wrong.
Slo parse_slo(std::string_view text);

// Latency objectives use the corrected latency (from the intended start in an open loop).
SloResult evaluate_slo(const Slo& slo, const RunStats& stats);
std::vector<SloResult> evaluate_slos(const std::vector<Slo>& slos, const RunStats& stats);
bool all_passed(const std::vector<SloResult>& results);
// Failed requests (errors of every kind and 5xx responses) as a percent of all; 100 for none.
double error_percent(const RunStats& stats);

// "p99 1.234s < 250.00ms  FAIL": what was measured against what, and (optionally) the verdict.
std::string describe(const SloResult& result, bool with_verdict = true);

}  // namespace loadlab::loadgen
