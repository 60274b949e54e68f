#include "loadgen/capacity_search.h"

#include <cmath>
#include <stdexcept>

namespace loadlab::loadgen {
namespace {

// Bisection cannot narrow the gap forever: rates this close are the same rate to a schedule.
// Each bisection halves the gap's logarithm, so from a --growth of 100 this reaches any
// precision a double can tell apart; growth steps do not count against it.
constexpr unsigned kMaxBisections = 64;

SearchOutcome outcome_of(StepVerdict verdict) {
  return verdict == StepVerdict::kClientLimited ? SearchOutcome::kClientLimited
                                                : SearchOutcome::kAborted;
}

}  // namespace

void check_bounds(const SearchBounds& b) {
  if (!(b.low > 0 && std::isfinite(b.high) && b.low <= b.high))
    throw std::invalid_argument("--rate LO..HI needs 0 < LO <= HI");
  if (!(b.growth > 1 && std::isfinite(b.growth)))
    throw std::invalid_argument("--growth must be more than 1");
  if (!(b.precision > 0 && std::isfinite(b.precision)))
    throw std::invalid_argument("--precision must be more than 0%");
}

SearchResult search_capacity(const SearchBounds& b,
                             const std::function<StepVerdict(double rate)>& run_step) {
  check_bounds(b);
  SearchResult result;
  // Each step: run it, record it; false when the search must stop on it.
  auto step = [&](double rate, bool bisecting) {
    const StepVerdict verdict = run_step(rate);
    result.steps.push_back({rate, verdict, bisecting});
    if (verdict == StepVerdict::kPass) {
      result.best = rate;
    } else if (verdict == StepVerdict::kFail) {
      result.first_fail = rate;
    } else {
      result.outcome = outcome_of(verdict);
      return false;
    }
    return true;
  };

  // Growth: low, low * growth, ... and the high end itself last.
  for (double rate = b.low;; rate = std::min(b.high, rate * b.growth)) {
    if (!step(rate, false)) return result;
    if (result.first_fail) break;
    if (rate >= b.high) {
      result.outcome = SearchOutcome::kHighPassed;
      return result;
    }
  }
  if (!result.best) {
    result.outcome = SearchOutcome::kNoneMet;
    return result;
  }
  // Bisection between the last pass and the first fail, at their geometric mean: the precision
  // is a ratio, so each step halves the ratio's logarithm.
  const auto gap = [&result] { return (*result.first_fail - *result.best) / *result.best; };
  for (unsigned bisections = 0; gap() > b.precision && bisections < kMaxBisections; ++bisections) {
    const double middle = std::sqrt(*result.best * *result.first_fail);
    if (!(middle > *result.best && middle < *result.first_fail)) break;  // no rate between
    if (!step(middle, true)) return result;
  }
  result.outcome = SearchOutcome::kFound;
  result.precision_reached = gap() <= b.precision;
  return result;
}

unsigned sweep_steps(const SearchBounds& b, double stop_rate) {
  if (!(b.low > 0 && stop_rate >= b.low && b.precision > 0)) return 1;
  // low (1 + p)^k >= stop_rate; the small slack keeps an exact power from costing one more.
  const double k = std::log(stop_rate / b.low) / std::log1p(b.precision);
  return 1 + static_cast<unsigned>(std::ceil(k - 1e-9));
}

}  // namespace loadlab::loadgen
