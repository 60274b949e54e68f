// One step of the capacity search judged: did the target meet every objective at the asked
// rate, or did the loadgen itself fall short of offering it (then the step says nothing about
// the target, unless the target broke an objective even at the load it was offered)? Pure,
// so that the rules are tested without a run.
#pragma once

#include <string>
#include <vector>

#include "loadgen/capacity_search.h"
#include "loadgen/run_stats.h"
#include "loadgen/slo.h"

namespace loadlab::loadgen {

// The loadgen fell behind when it offered less than this share of the asked rate...
inline constexpr double kMinOfferedShare = 0.95;
// ...and by more than this many requests (one late send in a short step is 5% of 20).
inline constexpr double kShortfallSlack = 2;
// ...or when its engine threads were this busy (CPU seconds per second of each).
inline constexpr double kBusyCpuShare = 0.9;

// What the loadgen itself did during a step.
struct ClientLoad {
  // Its CPU time over the step's wall time (1.0: one core all along), less the time its engines
  // spent spinning for events (--busy-poll-us), which would otherwise have been idle.
  double cpu_cores = 0;
  unsigned threads = 1;      // -t: engine threads
  unsigned connections = 1;  // -c
  // The step's length after its settle: requests due in it are asked x step_s. 0: unknown (the
  // time from the settle to the last send stands in).
  double step_s = 0;
};

struct StepJudgement {
  StepVerdict verdict = StepVerdict::kFail;
  std::vector<SloResult> slos;  // on the step's figures, as a run would report them
  bool behind = false;          // offered less than asked (a backlog, requests never sent)
  bool busy = false;            // its own CPU near the threads' cores
  double offered_rate = 0;      // what it achieved (requests per second of sending)
  std::string why;              // for a client-limited step, or one with nothing reachable
};

StepJudgement judge_step(const std::vector<Slo>& slos, const RunStats& stats,
                         const ClientLoad& client);

}  // namespace loadlab::loadgen
