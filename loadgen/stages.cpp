#include "loadgen/stages.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "loadgen/options.h"

namespace loadlab::loadgen {
namespace {

// A plain decimal number ("1000", "0.5"): no sign, no exponent, no blanks, so that a typo is
// an error rather than a rate nobody meant.
bool parse_value(std::string_view text, double& value) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  bool point = false;
  for (char c : text) {
    if (c == '.' && !point) {
      point = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

Stage parse_item(std::string_view item, std::size_t number, double max_value, const char* flag) {
  const std::string where =
      std::string(flag) + " stage " + std::to_string(number) + " '" + std::string(item) + "': ";
  const auto at = item.find('@');
  if (at == std::string_view::npos)
    throw std::invalid_argument(where + "no '@DURATION' (expected A>B@30s or A@30s)");
  const std::string_view values = item.substr(0, at);
  const std::string duration(item.substr(at + 1));
  Stage stage;
  const auto arrow = values.find('>');
  const std::string_view from = values.substr(0, arrow);
  const std::string_view to = arrow == std::string_view::npos ? from : values.substr(arrow + 1);
  for (const auto& [text, value] : {std::pair{from, &stage.from}, std::pair{to, &stage.to}}) {
    if (!parse_value(text, *value)) {
      throw std::invalid_argument(where + "'" + std::string(text) +
                                  "' is not a number (a decimal such as 100 or 2.5)");
    }
    if (*value > max_value) {
      char limit[32];
      std::snprintf(limit, sizeof limit, "%g", max_value);
      throw std::invalid_argument(where + std::string(text) + " is above the limit, " + limit);
    }
  }
  if (duration.empty()) throw std::invalid_argument(where + "no duration after '@'");
  try {
    stage.duration_ms = parse_duration_ms(duration);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(where + error.what());
  }
  if (stage.duration_ms == 0)
    throw std::invalid_argument(where + "a stage must last longer than 0");
  return stage;
}

}  // namespace

std::vector<Stage> parse_stages(const std::string& text, double max_value, const char* flag) {
  // Beyond this, a typo rather than a plan; it also bounds the schedule's search.
  constexpr std::size_t kMaxStages = 1000;
  constexpr std::uint64_t kMaxTotalMs = 30ULL * 24 * 3'600'000;
  if (text.empty()) throw std::invalid_argument(std::string(flag) + " is empty");
  std::vector<Stage> stages;
  std::size_t position = 0;
  while (position <= text.size()) {
    const auto comma = std::min(text.find(',', position), text.size());
    const std::string_view item(text.data() + position, comma - position);
    if (item.empty()) {
      throw std::invalid_argument(std::string(flag) + " stage " +
                                  std::to_string(stages.size() + 1) + " is empty (a stray comma?)");
    }
    stages.push_back(parse_item(item, stages.size() + 1, max_value, flag));
    if (stages.size() > kMaxStages)
      throw std::invalid_argument(std::string(flag) + ": more than 1000 stages");
    position = comma + 1;
  }
  std::uint64_t total = 0;
  for (const auto& stage : stages) {
    total += std::min(stage.duration_ms, kMaxTotalMs + 1);
    if (total > kMaxTotalMs)
      throw std::invalid_argument(std::string(flag) + ": the stages last more than 30 days");
  }
  return stages;
}

std::uint64_t stages_duration_ms(const std::vector<Stage>& stages) {
  std::uint64_t total = 0;
  for (const auto& stage : stages) total += stage.duration_ms;
  return total;
}

double stage_value_at(const std::vector<Stage>& stages, double t_s) {
  double start = 0;
  for (const auto& stage : stages) {
    const double length = static_cast<double>(stage.duration_ms) / 1000.0;
    if (t_s < start + length) {
      const double into = std::max(0.0, t_s - start) / length;
      return stage.from + (stage.to - stage.from) * into;
    }
    start += length;
  }
  return 0;
}

RateSchedule RateSchedule::constant(double rate) {
  RateSchedule schedule;
  schedule.rate_ = rate;
  return schedule;
}

RateSchedule RateSchedule::staged(std::vector<Stage> stages) {
  RateSchedule schedule;
  double start = 0, before = 0;
  for (const auto& stage : stages) {
    const double length = static_cast<double>(stage.duration_ms) / 1000.0;
    schedule.start_s_.push_back(start);
    schedule.before_.push_back(before);
    start += length;
    before += (stage.from + stage.to) / 2 * length;
  }
  schedule.stages_ = std::move(stages);
  // Slot k exists when the integral passes k before the end. The tolerance absorbs the
  // rounding of decimal rates (0.1 * 30 s); a slot it drops would be due at the very end.
  schedule.slots_ = static_cast<std::uint64_t>(std::ceil(before - 1e-9 * std::max(1.0, before)));
  return schedule;
}

std::uint64_t RateSchedule::due_ns(std::uint64_t slot) const {
  if (stages_.empty())
    return static_cast<std::uint64_t>(std::llround(1e9 * static_cast<double>(slot) / rate_));
  if (slot >= slots_) return kNever;
  const double k = static_cast<double>(slot);
  // The last stage whose integral starts at or before k: a stage of rate 0 holds no slot, so
  // the search passes over it to the next one that starts at the same count.
  const auto found = std::upper_bound(before_.begin(), before_.end(), k);
  const std::size_t j = static_cast<std::size_t>(found - before_.begin()) - 1;
  const Stage& stage = stages_[j];
  const double length = static_cast<double>(stage.duration_ms) / 1000.0;
  const double x = k - before_[j];
  double into = 0;
  if (x > 0) {
    // a*t + (b-a)/(2d)*t^2 = x, in the form that neither cancels nor divides by a zero slope.
    const double slope = (stage.to - stage.from) / length;
    const double root = std::sqrt(std::max(0.0, stage.from * stage.from + 2 * slope * x));
    into = std::min(length, 2 * x / (stage.from + root));
  }
  return static_cast<std::uint64_t>(std::llround((start_s_[j] + into) * 1e9));
}

double RateSchedule::rate_at(double t_s) const {
  return stages_.empty() ? rate_ : stage_value_at(stages_, t_s);
}

}  // namespace loadlab::loadgen
