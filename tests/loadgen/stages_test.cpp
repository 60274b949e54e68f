// --stages: the grammar (bad input names the stage and the problem) and the schedule, computed
// from the integral of the rate, never from a clock.
#include "loadgen/stages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace loadlab::loadgen {
namespace {

constexpr double kMax = 10'000'000;

TEST(Stages, ParsesRampsAndHolds) {
  const auto stages = parse_stages("0>1000@30s,1000@2m,1000>0@30s", kMax, "--stages");
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[0].from, 0);
  EXPECT_EQ(stages[0].to, 1000);
  EXPECT_EQ(stages[0].duration_ms, 30'000u);
  EXPECT_EQ(stages[1].from, 1000);
  EXPECT_EQ(stages[1].to, 1000);
  EXPECT_EQ(stages[1].duration_ms, 120'000u);
  EXPECT_EQ(stages[2].to, 0);
  EXPECT_EQ(stages_duration_ms(stages), 180'000u);
  const auto fractional = parse_stages("0.5>2.5@500ms", kMax, "--stages");
  EXPECT_EQ(fractional[0].from, 0.5);
  EXPECT_EQ(fractional[0].to, 2.5);
}

void expect_error(const std::string& text, const std::string& says) {
  try {
    parse_stages(text, kMax, "--stages");
    ADD_FAILURE() << "'" << text << "' was accepted";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("--stages"), std::string::npos) << message;
    EXPECT_NE(message.find(says), std::string::npos) << "'" << text << "': " << message;
  }
}

TEST(Stages, BadStagesNameTheStageAndTheProblem) {
  expect_error("", "empty");
  expect_error("100", "stage 1 '100': no '@DURATION'");
  expect_error("100@", "no duration");
  expect_error("100@30x", "bad duration '30x'");
  expect_error("100@0s", "longer than 0");
  expect_error("0>100@30s,,100@1m", "stage 2 is empty");
  expect_error("0>100@30s,", "stage 2 is empty");
  expect_error("0>@30s", "'' is not a number");
  expect_error("-5@30s", "'-5' is not a number");
  expect_error("1e3@30s", "'1e3' is not a number");
  expect_error("0>100>200@30s", "'100>200' is not a number");
  expect_error("abc@1m", "'abc' is not a number");
  expect_error("0>100@30s,20000000@1m", "stage 2 '20000000@1m': 20000000 is above the limit");
  expect_error("100@720h,100@1h", "more than 30 days");
}

TEST(Stages, ValueFollowsTheStagesLinearly) {
  const auto stages = parse_stages("0>1000@10s,1000@10s,1000>0@10s", kMax, "--stages");
  EXPECT_DOUBLE_EQ(stage_value_at(stages, 0), 0);
  EXPECT_DOUBLE_EQ(stage_value_at(stages, 5), 500);
  EXPECT_DOUBLE_EQ(stage_value_at(stages, 15), 1000);
  EXPECT_DOUBLE_EQ(stage_value_at(stages, 25), 500);
  EXPECT_DOUBLE_EQ(stage_value_at(stages, 31), 0);
}

double seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }

TEST(RateSchedule, ConstantRateIsSlotOverRate) {
  const auto schedule = RateSchedule::constant(200);
  EXPECT_EQ(schedule.due_ns(0), 0u);
  EXPECT_EQ(schedule.due_ns(1), 5'000'000u);
  EXPECT_EQ(schedule.due_ns(1000), 5'000'000'000u);
  EXPECT_EQ(schedule.slots(), UINT64_MAX);
}

TEST(RateSchedule, TheKthSendIsWhereTheIntegralReachesK) {
  // 0 -> 100/s over 10 s: integral 5 t^2, so slot k at sqrt(k / 5); 500 slots in the ramp.
  // Then 100/s for 10 s: slot 500 + j at 10 + j / 100. Then 100 -> 0 over 10 s: 500 more.
  const auto schedule =
      RateSchedule::staged(parse_stages("0>100@10s,100@10s,100>0@10s", kMax, "--stages"));
  EXPECT_EQ(schedule.slots(), 2000u);
  for (std::uint64_t k : {0, 1, 2, 5, 20, 125, 499}) {
    EXPECT_NEAR(seconds(schedule.due_ns(k)), std::sqrt(static_cast<double>(k) / 5), 1e-9) << k;
  }
  for (std::uint64_t j : {0, 1, 250, 999}) {
    EXPECT_NEAR(seconds(schedule.due_ns(500 + j)), 10 + static_cast<double>(j) / 100, 1e-9) << j;
  }
  // Ramp down from 20 s: the integral 100 t - 5 t^2 reaches x at slot 1500 + x.
  for (std::uint64_t x : {0, 1, 250, 499}) {
    const double t = seconds(schedule.due_ns(1500 + x)) - 20;
    EXPECT_NEAR(100 * t - 5 * t * t, static_cast<double>(x), 1e-6) << x;
  }
  EXPECT_LT(schedule.due_ns(1999), 30'000'000'000u);
  EXPECT_EQ(schedule.due_ns(2000), RateSchedule::kNever);
}

TEST(RateSchedule, NoBurstAtStageEdgesOrSteps) {
  // A step from 10/s to 1000/s, and a pause at 0: the gaps between sends follow the rate on
  // either side of each edge, and no two sends share an instant.
  const auto schedule =
      RateSchedule::staged(parse_stages("10@1s,1000@1s,0@1s,10@1s", kMax, "--stages"));
  EXPECT_EQ(schedule.slots(), 1020u);
  std::uint64_t previous = schedule.due_ns(0);
  for (std::uint64_t k = 1; k < schedule.slots(); ++k) {
    const std::uint64_t due = schedule.due_ns(k);
    const std::uint64_t gap = due - previous;
    EXPECT_GE(gap, 1'000'000u - 1) << k;  // never closer than the fastest stage's 1 ms
    previous = due;
  }
  EXPECT_EQ(schedule.due_ns(9), 900'000'000u);
  EXPECT_EQ(schedule.due_ns(10), 1'000'000'000u);  // the 1000/s stage starts on time
  EXPECT_EQ(schedule.due_ns(1009), 1'999'000'000u);
  EXPECT_EQ(schedule.due_ns(1010), 3'000'000'000u);  // the pause holds no slot
  EXPECT_NEAR(schedule.rate_at(1.5), 1000, 1e-9);
  EXPECT_NEAR(schedule.rate_at(2.5), 0, 1e-9);
}

TEST(RateSchedule, ShardsTakeEveryNthSlotOfOneSchedule) {
  // Slot k goes to shard k mod N: the shards' sends, merged, are exactly the run's.
  const auto schedule = RateSchedule::staged(parse_stages("0>400@5s,400@5s", kMax, "--stages"));
  const unsigned shards = 4;
  std::uint64_t count = 0;
  for (unsigned i = 0; i < shards; ++i) {
    for (std::uint64_t k = i; k < schedule.slots(); k += shards) ++count;
  }
  EXPECT_EQ(count, schedule.slots());
  EXPECT_EQ(schedule.slots(), 3000u);
}

TEST(RateSchedule, AFractionalIntegralRoundsUp) {
  // 0.5/s for 3 s is 1.5 requests' worth: slots 0 and 1 (at 0 s and 2 s).
  const auto schedule = RateSchedule::staged(parse_stages("0.5@3s", kMax, "--stages"));
  EXPECT_EQ(schedule.slots(), 2u);
  EXPECT_EQ(schedule.due_ns(1), 2'000'000'000u);
  EXPECT_EQ(RateSchedule::staged(parse_stages("0@3s", kMax, "--stages")).slots(), 0u);
}

}  // namespace
}  // namespace loadlab::loadgen
