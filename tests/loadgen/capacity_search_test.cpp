// The capacity search over fake step runners: which rates it tries, when it stops, what it
// reports. No server, no clock.
#include "loadgen/capacity_search.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace loadlab::loadgen {
namespace {

// A target that meets its objectives up to `capacity` and fails above it.
struct KneeAt {
  double capacity;
  std::vector<double> asked;
  StepVerdict operator()(double rate) {
    asked.push_back(rate);
    return rate <= capacity ? StepVerdict::kPass : StepVerdict::kFail;
  }
};

SearchResult search(const SearchBounds& bounds, KneeAt& target) {
  return search_capacity(bounds, [&target](double rate) { return target(rate); });
}

TEST(CapacitySearch, GrowsGeometricallyThenBisectsToThePrecision) {
  KneeAt target{1000, {}};
  const SearchResult result = search({100, 100'000, 2, 0.05}, target);
  ASSERT_EQ(result.outcome, SearchOutcome::kFound);
  ASSERT_TRUE(result.best && result.first_fail);
  // Growth: 100, 200, 400, 800 pass, 1600 fails.
  ASSERT_GE(target.asked.size(), 5u);
  EXPECT_EQ(std::vector<double>(target.asked.begin(), target.asked.begin() + 5),
            (std::vector<double>{100, 200, 400, 800, 1600}));
  for (std::size_t i = 0; i < result.steps.size(); ++i)
    EXPECT_EQ(result.steps[i].bisecting, i >= 5) << i;
  // The answer brackets the knee within the precision, and never above it.
  EXPECT_LE(*result.best, 1000);
  EXPECT_GT(*result.first_fail, 1000);
  EXPECT_LE((*result.first_fail - *result.best) / *result.best, 0.05 + 1e-12);
  // Each bisection lands strictly between the pass and the fail it splits.
  double pass = 800, fail = 1600;
  for (std::size_t i = 5; i < target.asked.size(); ++i) {
    EXPECT_GT(target.asked[i], pass);
    EXPECT_LT(target.asked[i], fail);
    (target.asked[i] <= 1000 ? pass : fail) = target.asked[i];
  }
  // Halving the log of the ratio: from 2 to within 1.05 takes 4 bisections.
  EXPECT_EQ(target.asked.size(), 9u);
}

TEST(CapacitySearch, ATighterPrecisionTakesMoreStepsAndGetsCloser) {
  KneeAt coarse{1234, {}}, fine{1234, {}};
  const auto a = search({100, 100'000, 2, 0.1}, coarse);
  const auto b = search({100, 100'000, 2, 0.01}, fine);
  EXPECT_GT(fine.asked.size(), coarse.asked.size());
  EXPECT_LE((*b.first_fail - *b.best) / *b.best, 0.01 + 1e-12);
  EXPECT_GE(*b.best, *a.best * (1 - 1e-12));
}

TEST(CapacitySearch, TheFirstStepFailing) {
  KneeAt target{50, {}};
  const SearchResult result = search({100, 1000, 2, 0.05}, target);
  EXPECT_EQ(result.outcome, SearchOutcome::kNoneMet);
  EXPECT_FALSE(result.best);
  EXPECT_EQ(target.asked, (std::vector<double>{100}));  // no bisection below the low end
}

TEST(CapacitySearch, TheHighEndPassing) {
  KneeAt target{1e9, {}};
  const SearchResult result = search({100, 1000, 2, 0.05}, target);
  EXPECT_EQ(result.outcome, SearchOutcome::kHighPassed);
  EXPECT_EQ(result.best, 1000);
  // Growth is capped at the high end, which is tried itself.
  EXPECT_EQ(target.asked, (std::vector<double>{100, 200, 400, 800, 1000}));
}

TEST(CapacitySearch, FailingOnlyAtTheHighEnd) {
  KneeAt target{900, {}};
  const SearchResult result = search({100, 1000, 2, 0.05}, target);
  EXPECT_EQ(result.outcome, SearchOutcome::kFound);
  // The growth's last step is the high end itself, and it fails; bisection goes on below it.
  ASSERT_GE(result.steps.size(), 5u);
  EXPECT_EQ(result.steps[4].rate, 1000);
  EXPECT_EQ(result.steps[4].verdict, StepVerdict::kFail);
  EXPECT_GT(*result.first_fail, 900);
  EXPECT_GE(*result.best, 900 / 1.05);
  EXPECT_LE(*result.best, 900);
}

TEST(CapacitySearch, LowEqualsHigh) {
  KneeAt passes{10, {}}, fails{1, {}};
  EXPECT_EQ(search({5, 5, 2, 0.05}, passes).outcome, SearchOutcome::kHighPassed);
  EXPECT_EQ(search({5, 5, 2, 0.05}, fails).outcome, SearchOutcome::kNoneMet);
  EXPECT_EQ(passes.asked.size(), 1u);
  EXPECT_EQ(fails.asked.size(), 1u);
}

TEST(CapacitySearch, AGapAlreadyWithinThePrecisionNeedsNoBisection) {
  KneeAt target{1000, {}};
  const SearchResult result = search({1000, 1040, 2, 0.05}, target);
  EXPECT_EQ(result.outcome, SearchOutcome::kFound);
  EXPECT_EQ(target.asked, (std::vector<double>{1000, 1040}));
}

TEST(CapacitySearch, ManyGrowthStepsStillLeaveBisectionItsTurn) {
  // --growth 1.01 from 1 req/s: about 1550 growth steps before the knee at 5 000 000.
  KneeAt target{5'000'000, {}};
  const SearchResult result = search({1, 10'000'000, 1.01, 0.001}, target);
  ASSERT_EQ(result.outcome, SearchOutcome::kFound);
  EXPECT_GT(result.steps.size(), 1000u);
  EXPECT_TRUE(result.steps.back().bisecting);
  EXPECT_LE((*result.first_fail - *result.best) / *result.best, 0.001 + 1e-12);
  EXPECT_TRUE(result.precision_reached);
}

TEST(CapacitySearch, APrecisionBeyondReachIsSaidNotClaimed) {
  KneeAt target{1000, {}};
  const SearchResult result = search({100, 100'000, 2, 1e-300}, target);
  ASSERT_EQ(result.outcome, SearchOutcome::kFound);
  EXPECT_FALSE(result.precision_reached);
  EXPECT_LT(result.steps.size(), 100u);  // bounded, however small the precision
  EXPECT_LE(*result.best, 1000);
  EXPECT_GT(*result.first_fail, 1000);
}

TEST(CapacitySearch, StopsAtOnceWhenTheClientCannotKeepUp) {
  std::vector<double> asked;
  const SearchResult result = search_capacity({100, 100'000, 2, 0.05}, [&asked](double rate) {
    asked.push_back(rate);
    return rate < 300 ? StepVerdict::kPass : StepVerdict::kClientLimited;
  });
  EXPECT_EQ(result.outcome, SearchOutcome::kClientLimited);
  EXPECT_EQ(result.best, 200);  // a lower bound only
  EXPECT_FALSE(result.first_fail);
  EXPECT_EQ(asked, (std::vector<double>{100, 200, 400}));
  EXPECT_EQ(result.steps.back().verdict, StepVerdict::kClientLimited);
}

TEST(CapacitySearch, StopsWhenTheClientFallsBehindWhileBisecting) {
  std::vector<double> asked;
  const SearchResult result = search_capacity({100, 100'000, 2, 0.05}, [&asked](double rate) {
    asked.push_back(rate);
    if (asked.size() == 5) return StepVerdict::kClientLimited;
    return rate <= 500 ? StepVerdict::kPass : StepVerdict::kFail;
  });
  EXPECT_EQ(result.outcome, SearchOutcome::kClientLimited);
  EXPECT_EQ(asked.size(), 5u);
  EXPECT_EQ(result.best, 400);
  EXPECT_EQ(result.first_fail, 800);
}

TEST(CapacitySearch, AnAbortedStepEndsTheSearch) {
  const SearchResult result =
      search_capacity({100, 1000, 2, 0.05}, [](double) { return StepVerdict::kAborted; });
  EXPECT_EQ(result.outcome, SearchOutcome::kAborted);
  EXPECT_EQ(result.steps.size(), 1u);
}

TEST(CapacitySearch, BadBoundsAreRejectedBeforeAnyStep) {
  int steps = 0;
  auto count = [&steps](double) {
    ++steps;
    return StepVerdict::kPass;
  };
  for (const SearchBounds bad : {SearchBounds{0, 10, 2, 0.05}, SearchBounds{10, 5, 2, 0.05},
                                 SearchBounds{1, 10, 1, 0.05}, SearchBounds{1, 10, 2, 0}}) {
    EXPECT_THROW(search_capacity(bad, count), std::invalid_argument);
  }
  EXPECT_EQ(steps, 0);
}

TEST(CapacitySearch, AFixedSweepOfTheSamePrecisionTakesMoreSteps) {
  KneeAt target{5000, {}};
  const SearchBounds bounds{100, 100'000, 2, 0.05};
  const SearchResult result = search(bounds, target);
  // 100 * 1.05^k >= first fail: ~82 steps for a ~50x range, against the search's ~11.
  const unsigned sweep = sweep_steps(bounds, *result.first_fail);
  EXPECT_GT(sweep, 80u);
  EXPECT_LT(result.steps.size(), 15u);
  EXPECT_EQ(sweep_steps({100, 1000, 2, 0.05}, 100), 1u);
  EXPECT_EQ(sweep_steps({100, 1000, 2, 0.05}, 105), 2u);
}

}  // namespace
}  // namespace loadlab::loadgen
