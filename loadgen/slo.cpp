#include "loadgen/slo.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "loadgen/format.h"

namespace loadlab::loadgen {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

double parse_number(std::string_view text, std::string_view whole) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value) || value < 0) {
    throw std::invalid_argument("bad --slo '" + std::string(whole) + "': '" + std::string(text) +
                                "' is not a non-negative number");
  }
  return value;
}

bool is_latency(Slo::Metric metric) {
  return metric == Slo::Metric::kPercentile || metric == Slo::Metric::kMean ||
         metric == Slo::Metric::kMax;
}

const char* op_text(Slo::Op op) {
  switch (op) {
    case Slo::Op::kLess:
      return "<";
    case Slo::Op::kLessEqual:
      return "<=";
    case Slo::Op::kGreater:
      return ">";
    case Slo::Op::kGreaterEqual:
      return ">=";
  }
  return "?";
}

std::string format_value(const Slo& slo, double value) {
  char text[48];
  if (slo.metric == Slo::Metric::kErrorPercent)
    std::snprintf(text, sizeof text, "%.3g%%", value);
  else if (slo.metric == Slo::Metric::kRps)
    std::snprintf(text, sizeof text, "%.1f req/s", value);
  else
    return format_duration_us(value);
  return text;
}

// "p99.9" as a percentile, or nothing when the text is not one.
std::optional<double> percentile_of(std::string_view stat) {
  if (stat.size() < 2 || stat.front() != 'p') return std::nullopt;
  stat.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(stat.data(), stat.data() + stat.size(), value);
  if (error != std::errc() || end != stat.data() + stat.size()) return std::nullopt;
  return value;
}

void set_percentile(double percentile, std::string_view whole, Slo& slo) {
  if (!(percentile > 0 && percentile <= 100)) {
    throw std::invalid_argument("bad --slo '" + std::string(whole) +
                                "': percentile must be in (0, 100]");
  }
  slo.metric = Slo::Metric::kPercentile;
  slo.percentile = percentile;
}

// RFC 9110 token, as Server-Timing metric names are (common/server_timing.cpp).
bool is_token(std::string_view text) {
  constexpr std::string_view kSymbols = "!#$%&'*+-^_`|~";
  for (const char c : text) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && kSymbols.find(c) == std::string_view::npos) return false;
  }
  return !text.empty();
}

// A phase objective: "queue.p99", "compute.mean", "delay.max". The phase is everything before
// the first dot (a token has none), so "queue.p99.9" is queue's 99.9th percentile.
void parse_phase_metric(std::string_view name, std::string_view whole, Slo& slo) {
  const auto dot = name.find('.');
  const std::string_view phase = name.substr(0, dot), stat = name.substr(dot + 1);
  if (!is_token(phase)) {
    throw std::invalid_argument("bad --slo '" + std::string(whole) + "': '" + std::string(phase) +
                                "' is not a Server-Timing metric name");
  }
  slo.phase = std::string(phase);
  if (stat == "mean") {
    slo.metric = Slo::Metric::kMean;
  } else if (stat == "max") {
    slo.metric = Slo::Metric::kMax;
  } else if (const auto percentile = percentile_of(stat)) {
    set_percentile(*percentile, whole, slo);
  } else {
    throw std::invalid_argument("bad --slo '" + std::string(whole) + "': unknown statistic '" +
                                std::string(stat) + "' of the phase '" + std::string(phase) +
                                "' (p50..p99.99, mean, max)");
  }
}

void parse_metric(std::string_view name, std::string_view whole, Slo& slo) {
  if (name == "mean") {
    slo.metric = Slo::Metric::kMean;
  } else if (name == "max") {
    slo.metric = Slo::Metric::kMax;
  } else if (name == "errors") {
    slo.metric = Slo::Metric::kErrorPercent;
  } else if (name == "rps") {
    slo.metric = Slo::Metric::kRps;
  } else if (const auto percentile = percentile_of(name)) {
    set_percentile(*percentile, whole, slo);
  } else if (name.find('.') != std::string_view::npos) {
    parse_phase_metric(name, whole, slo);
  } else {
    throw std::invalid_argument("bad --slo '" + std::string(whole) + "': unknown metric '" +
                                std::string(name) +
                                "' (p50..p99.99, mean, max, errors, rps, or a Server-Timing "
                                "phase's: queue.p99, compute.mean, delay.max)");
  }
}

}  // namespace

Slo parse_slo(std::string_view text) {
  const std::string_view whole = text;
  text = trim(text);
  const auto op_at = text.find_first_of("<>");
  if (op_at == std::string_view::npos) {
    throw std::invalid_argument("bad --slo '" + std::string(whole) +
                                "': expected e.g. 'p99<250ms', 'errors<1%', 'rps>1000'");
  }
  Slo slo;
  slo.text = std::string(whole);
  const std::string_view name = trim(text.substr(0, op_at));
  std::size_t value_at = op_at + 1;
  const bool or_equal = value_at < text.size() && text[value_at] == '=';
  if (or_equal) ++value_at;
  slo.op = text[op_at] == '<' ? (or_equal ? Slo::Op::kLessEqual : Slo::Op::kLess)
                              : (or_equal ? Slo::Op::kGreaterEqual : Slo::Op::kGreater);

  parse_metric(name, whole, slo);
  std::string_view value = trim(text.substr(value_at));
  double scale = 1;
  auto strip = [&value](std::string_view unit) {
    if (value.size() > unit.size() && value.substr(value.size() - unit.size()) == unit) {
      value.remove_suffix(unit.size());
      return true;
    }
    return false;
  };
  if (is_latency(slo.metric)) {
    if (strip("us"))
      scale = 1;
    else if (strip("ms"))
      scale = 1e3;
    else if (strip("s"))
      scale = 1e6;
    else
      scale = 1e3;
  } else if (slo.metric == Slo::Metric::kErrorPercent) {
    strip("%");
  }
  slo.threshold = parse_number(trim(value), whole) * scale;
  return slo;
}

double error_percent(const RunStats& stats) {
  // Responses with a 5xx status count as errors here: the server failed them.
  std::uint64_t failed = stats.error_count();
  for (const auto& [status, count] : stats.status_codes) {
    if (status >= 500) failed += count;
  }
  return stats.total() == 0
             ? 100.0
             : 100.0 * static_cast<double>(failed) / static_cast<double>(stats.total());
}

SloResult evaluate_slo(const Slo& slo, const RunStats& stats) {
  SloResult result{slo, 0, false, false};
  static const LatencyHistogram kNothing;
  const LatencyHistogram* latency = &stats.latency_us;
  if (!slo.phase.empty()) {
    const auto it = stats.server_timing_us.find(slo.phase);
    latency = it == stats.server_timing_us.end() ? &kNothing : &it->second;
  }
  switch (slo.metric) {
    case Slo::Metric::kPercentile:
      result.actual = static_cast<double>(latency->value_at_percentile(slo.percentile));
      break;
    case Slo::Metric::kMean:
      result.actual = latency->mean();
      break;
    case Slo::Metric::kMax:
      result.actual = static_cast<double>(latency->max());
      break;
    case Slo::Metric::kErrorPercent:
      result.actual = error_percent(stats);
      break;
    case Slo::Metric::kRps:
      result.actual = stats.throughput();
      break;
  }
  switch (slo.op) {
    case Slo::Op::kLess:
      result.passed = result.actual < slo.threshold;
      break;
    case Slo::Op::kLessEqual:
      result.passed = result.actual <= slo.threshold;
      break;
    case Slo::Op::kGreater:
      result.passed = result.actual > slo.threshold;
      break;
    case Slo::Op::kGreaterEqual:
      result.passed = result.actual >= slo.threshold;
      break;
  }
  // An empty run (or a phase no response reported) has no latency to speak of: a latency
  // objective cannot pass on nothing.
  if (is_latency(slo.metric) && latency->count() == 0) {
    result.passed = false;
    result.no_data = true;
  }
  return result;
}

std::vector<SloResult> evaluate_slos(const std::vector<Slo>& slos, const RunStats& stats) {
  std::vector<SloResult> results;
  results.reserve(slos.size());
  for (const auto& slo : slos) results.push_back(evaluate_slo(slo, stats));
  return results;
}

bool all_passed(const std::vector<SloResult>& results) {
  for (const auto& result : results) {
    if (!result.passed) return false;
  }
  return true;
}

std::string describe(const SloResult& r, bool with_verdict) {
  std::string name;
  switch (r.slo.metric) {
    case Slo::Metric::kPercentile: {
      char text[16];
      std::snprintf(text, sizeof text, "p%g", r.slo.percentile);
      name = text;
      break;
    }
    case Slo::Metric::kMean:
      name = "mean";
      break;
    case Slo::Metric::kMax:
      name = "max";
      break;
    case Slo::Metric::kErrorPercent:
      name = "errors";
      break;
    case Slo::Metric::kRps:
      name = "rps";
      break;
  }
  if (!r.slo.phase.empty()) name = r.slo.phase + "." + name;
  const std::string actual = !r.no_data || r.slo.phase.empty()
                                 ? format_value(r.slo, r.actual)
                                 : "(no response had Server-Timing '" + r.slo.phase + "')";
  return name + " " + actual + " " + op_text(r.slo.op) + " " +
         format_value(r.slo, r.slo.threshold) +
         (with_verdict ? (r.passed ? "  pass" : "  FAIL") : "");
}

}  // namespace loadlab::loadgen
