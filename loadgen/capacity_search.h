// The capacity search as a pure function of its step runner: grow the rate geometrically from
// the low end until a step fails, then bisect (geometrically) between the last rate that passed
// and the first that failed until they are within the precision. What runs a step (a real load,
// or a test's fake) is the caller's; this file only decides which rate to try next and when to
// stop, so that the search can be tested without a server or a clock.
#pragma once

#include <functional>
#include <optional>
#include <vector>

namespace loadlab::loadgen {

enum class StepVerdict {
  kPass,           // every objective met at this rate
  kFail,           // the target broke an objective at this rate
  kClientLimited,  // the loadgen could not offer this rate: nothing can be said of the target
  kAborted,        // the step could not be run at all (the target unreachable)
};

struct SearchBounds {
  double low = 0;           // the first rate tried
  double high = 0;          // the last rate growth may reach
  double growth = 2;        // each growth step multiplies the rate by this (> 1)
  double precision = 0.05;  // stop when (fail - pass) / pass <= this
};

enum class SearchOutcome {
  kFound,          // a rate passed and a rate above it failed, within the precision
  kHighPassed,     // even the high end passed: the capacity is at least that
  kNoneMet,        // the low end already failed
  kClientLimited,  // stopped: the loadgen fell behind (best so far is only a lower bound)
  kAborted,        // stopped: a step could not be run
};

struct SearchStep {
  double rate;
  StepVerdict verdict;
  bool bisecting;  // false while growing
};

struct SearchResult {
  SearchOutcome outcome = SearchOutcome::kNoneMet;
  std::optional<double> best;        // the highest rate that passed
  std::optional<double> first_fail;  // the lowest rate that failed
  std::vector<SearchStep> steps;     // in the order they ran
  // kFound: false when bisection stopped before the gap was within the precision (rates too
  // close to tell apart): the answer says the precision it did reach.
  bool precision_reached = true;
};

// Runs steps through `run_step` until the search ends; `bounds` must satisfy
// 0 < low <= high, growth > 1, precision > 0 (check_bounds throws otherwise).
SearchResult search_capacity(const SearchBounds& bounds,
                             const std::function<StepVerdict(double rate)>& run_step);
void check_bounds(const SearchBounds& bounds);

// How many steps the obvious alternative takes to the same precision: a fixed sweep up from
// the low end, each rate (1 + precision) times the last, stopping at the first that reaches
// `stop_rate` (the first failure; the high end when none failed). For the report.
unsigned sweep_steps(const SearchBounds& bounds, double stop_rate);

}  // namespace loadlab::loadgen
