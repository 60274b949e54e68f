// Judging one capacity step: the target's verdict when the loadgen kept up, and "client
// limited" (never a verdict on the target) when it did not.
#include "loadgen/capacity_step.h"

#include <gtest/gtest.h>

namespace loadlab::loadgen {
namespace {

// An open-loop step at `asked` req/s over one second: `sent` requests went out, each answered
// `service_us` after its send and `latency_us` after its slot, with `status`.
RunStats step(double asked, std::uint64_t sent, std::uint64_t latency_us, std::uint64_t service_us,
              int status = 200, std::uint64_t unsent = 0) {
  RunStats stats;
  stats.target_rate = asked;
  for (std::uint64_t i = 0; i < sent; ++i) {
    stats.record_response(status, latency_us, service_us, 0);
    stats.connect_us.record(100);
  }
  stats.unsent = unsent;
  stats.start_unix = 1000;
  stats.end_unix = 1001;
  stats.last_send_s = 1.0 - 1.0 / asked;
  return stats;
}

std::vector<Slo> objectives(std::initializer_list<const char*> texts) {
  std::vector<Slo> slos;
  for (const char* text : texts) slos.push_back(parse_slo(text));
  return slos;
}

const ClientLoad kIdle{0.05, 1, 100};

TEST(CapacityStep, KeptUpAndMetEveryObjective) {
  const auto j =
      judge_step(objectives({"p99<100ms", "errors<1%"}), step(100, 100, 5'000, 5'000), kIdle);
  EXPECT_EQ(j.verdict, StepVerdict::kPass);
  EXPECT_FALSE(j.behind);
  EXPECT_NEAR(j.offered_rate, 100, 1);
}

TEST(CapacityStep, KeptUpAndBrokeAnObjective) {
  const auto j = judge_step(objectives({"p99<100ms"}), step(100, 100, 300'000, 300'000), kIdle);
  EXPECT_EQ(j.verdict, StepVerdict::kFail);
  const auto errors =
      judge_step(objectives({"errors<1%"}), step(100, 100, 1'000, 1'000, 503), kIdle);
  EXPECT_EQ(errors.verdict, StepVerdict::kFail);
}

TEST(CapacityStep, BehindWithATargetThatWasFineIsClientLimited) {
  // Ten connections at 100 ms per request carry 100 req/s; 200 were asked: half went out, the
  // rest waited (their latency from the slot grew) and never left.
  const auto j = judge_step(objectives({"p99<150ms", "errors<1%"}),
                            step(200, 100, 900'000, 100'000, 200, 100), ClientLoad{0.05, 1, 10});
  EXPECT_EQ(j.verdict, StepVerdict::kClientLimited);
  EXPECT_TRUE(j.behind);
  EXPECT_NE(j.why.find("-c 10 connections carry at most ~100 req/s"), std::string::npos) << j.why;
  EXPECT_NE(j.why.find("raise -c"), std::string::npos) << j.why;
}

TEST(CapacityStep, BehindYetTheTargetBrokeAnObjectiveOnItsOwnIsAFail) {
  // The service time alone (from each request's send) breaks p99: the target failed, even at
  // the lower load the loadgen managed to offer.
  const auto slow = judge_step(objectives({"p99<100ms"}), step(200, 100, 900'000, 400'000, 200, 50),
                               ClientLoad{0.05, 1, 100});
  EXPECT_EQ(slow.verdict, StepVerdict::kFail);
  const auto errors = judge_step(objectives({"p99<10s", "errors<1%"}),
                                 step(200, 100, 1'000, 1'000, 503, 50), kIdle);
  EXPECT_EQ(errors.verdict, StepVerdict::kFail);
}

TEST(CapacityStep, APassAtALoadNeverOfferedIsNotAPass) {
  // Every objective met, but only half the asked rate went out.
  const auto j = judge_step(objectives({"errors<1%"}), step(200, 100, 1'000, 1'000, 200, 100),
                            ClientLoad{0.05, 1, 100});
  EXPECT_EQ(j.verdict, StepVerdict::kClientLimited);
}

TEST(CapacityStep, ABusyLoadgenDoesNotBlameTheTargetForLatency) {
  // The loadgen kept to the schedule but used all of its one thread's core: its own latency
  // figures (service time included) may be its delay, not the target's.
  const auto j = judge_step(objectives({"p99<100ms"}), step(100, 100, 300'000, 300'000),
                            ClientLoad{0.97, 1, 100});
  EXPECT_EQ(j.verdict, StepVerdict::kClientLimited);
  EXPECT_TRUE(j.busy);
  EXPECT_NE(j.why.find("CPU"), std::string::npos) << j.why;
  // With two threads, one core is half of its capacity: not busy.
  EXPECT_EQ(judge_step(objectives({"p99<100ms"}), step(100, 100, 300'000, 300'000),
                       ClientLoad{0.97, 2, 100})
                .verdict,
            StepVerdict::kFail);
  // The server's own word still counts when the loadgen is busy.
  EXPECT_EQ(judge_step(objectives({"errors<1%"}), step(100, 100, 1'000, 1'000, 503),
                       ClientLoad{0.97, 1, 100})
                .verdict,
            StepVerdict::kFail);
}

TEST(CapacityStep, PhaseObjectivesAreTheServersWord) {
  RunStats stats = step(200, 100, 900'000, 900'000, 200, 100);
  for (int i = 0; i < 100; ++i) stats.record_server_timing("queue;dur=80, compute;dur=2");
  EXPECT_EQ(judge_step(objectives({"queue.p99<50ms"}), stats, ClientLoad{0.97, 1, 100}).verdict,
            StepVerdict::kFail);
  EXPECT_EQ(judge_step(objectives({"compute.p99<5ms"}), stats, ClientLoad{0.97, 1, 100}).verdict,
            StepVerdict::kClientLimited);
}

TEST(CapacityStep, LateSendsOnABusyMachineAreNotFallingBehind) {
  // Every request due in the 1 s step went out, the last 300 ms late (the machine was busy
  // elsewhere): the load was offered; the lateness is already in the latency from each slot.
  RunStats stats = step(20, 20, 5'000, 5'000);
  stats.sent = 20;
  stats.last_send_s = 1.25;
  const auto j = judge_step(objectives({"p99<100ms"}), stats, ClientLoad{0.05, 1, 100, 1.0});
  EXPECT_FALSE(j.behind);
  EXPECT_EQ(j.verdict, StepVerdict::kPass);
  // Three of them never sent: that is falling behind.
  stats.sent = 17;
  EXPECT_TRUE(judge_step(objectives({"p99<100ms"}), stats, ClientLoad{0.05, 1, 100, 1.0}).behind);
}

TEST(CapacityStep, NothingReachableAborts) {
  RunStats stats;
  stats.target_rate = 100;
  stats.record_error(ErrorKind::kConnect);
  const auto j = judge_step(objectives({"errors<1%"}), stats, kIdle);
  EXPECT_EQ(j.verdict, StepVerdict::kAborted);
}

}  // namespace
}  // namespace loadlab::loadgen
