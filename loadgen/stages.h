// Rate (or concurrency) that follows stages: "0>1000@30s,1000@2m,1000>0@30s" ramps from 0 to
// 1000 over 30 s, holds 1000 for 2 min, ramps down over 30 s; linear between points.
// The open-loop schedule is exact: the send of slot k is due when the integral of the rate
// reaches k, so a stage edge (or a step between stages) never releases a burst.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loadlab::loadgen {

struct Stage {
  double from = 0;  // the value at the stage's start
  double to = 0;    // and at its end (== from: a hold)
  std::uint64_t duration_ms = 0;
};

// Parses "A>B@DURATION" (a ramp) and "A@DURATION" (a hold) items separated by commas. Values
// are decimal numbers from 0 to `max_value`; durations as -d takes them (500ms, 30s, 2m, 1h).
// Throws std::invalid_argument naming `flag`, the item and what is wrong with it.
std::vector<Stage> parse_stages(const std::string& text, double max_value, const char* flag);

// The whole length of the stages, in milliseconds.
std::uint64_t stages_duration_ms(const std::vector<Stage>& stages);

// The value the stages ask for at `t_s` seconds from the start (0 after the end).
double stage_value_at(const std::vector<Stage>& stages, double t_s);

// When each request of an open loop is due: a constant rate (slot k at k / rate) or stages.
class RateSchedule {
 public:
  static constexpr std::uint64_t kNever = UINT64_MAX;

  RateSchedule() = default;
  static RateSchedule constant(double rate);
  static RateSchedule staged(std::vector<Stage> stages);

  bool staged() const { return !stages_.empty(); }
  // Nanoseconds from the start at which slot `slot` is due; kNever for a slot past the stages'
  // end (their integral never reaches it).
  std::uint64_t due_ns(std::uint64_t slot) const;
  // Stages: how many slots they hold (every k with integral(end) > k). Constant: UINT64_MAX.
  std::uint64_t slots() const { return slots_; }
  // The requested rate at `t_s` seconds from the start.
  double rate_at(double t_s) const;
  const std::vector<Stage>& stages() const { return stages_; }

 private:
  double rate_ = 0;
  std::vector<Stage> stages_;
  std::vector<double> start_s_;  // per stage: its start, in seconds
  std::vector<double> before_;   // per stage: the integral up to its start (slots before it)
  std::uint64_t slots_ = UINT64_MAX;
};

}  // namespace loadlab::loadgen
