#include "loadgen/outputs/capacity_report.h"

#include <algorithm>
#include <cstdio>

#include "loadgen/format.h"
#include "loadgen/outputs/json_report.h"
#include "loadgen/outputs/svg_chart.h"

namespace loadlab::loadgen {
namespace {

std::string rate_text(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", rate);
  return text;
}

std::string seconds_text(double seconds) { return format_duration_us(seconds * 1e6); }

std::string percent_text(double percent) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g%%", percent);
  return text;
}

// The objectives a failing step broke, in words: "p99 140.2ms < 100.00ms".
std::string breaches(const StepJudgement& j) {
  std::string out;
  for (const SloResult& r : j.slos) {
    if (r.passed) continue;
    if (!out.empty()) out += "; ";
    out += describe(r, false);
  }
  return out;
}

std::string verdict_text(const CapacityStepRecord& step) {
  switch (step.judgement.verdict) {
    case StepVerdict::kPass:
      return "pass";
    case StepVerdict::kFail:
      return "FAIL: " + breaches(step.judgement);
    case StepVerdict::kClientLimited:
      return "CLIENT-LIMITED: " + step.judgement.why;
    case StepVerdict::kAborted:
      return "ABORTED: " + step.judgement.why;
  }
  return "";
}

double ms(std::uint64_t us) { return static_cast<double>(us) / 1000.0; }

double sweep_seconds(const CapacityReport& r, unsigned steps) {
  return static_cast<double>(steps) * static_cast<double>(r.settle_ms + r.step_ms) / 1000.0;
}

unsigned sweep_for(const CapacityReport& r) {
  return sweep_steps(r.bounds, r.search.first_fail.value_or(r.bounds.high));
}

}  // namespace

const char* verdict_name(StepVerdict verdict) {
  switch (verdict) {
    case StepVerdict::kPass:
      return "pass";
    case StepVerdict::kFail:
      return "fail";
    case StepVerdict::kClientLimited:
      return "client_limited";
    case StepVerdict::kAborted:
      return "aborted";
  }
  return "?";
}

const char* outcome_name(SearchOutcome outcome) {
  switch (outcome) {
    case SearchOutcome::kFound:
      return "found";
    case SearchOutcome::kHighPassed:
      return "high_passed";
    case SearchOutcome::kNoneMet:
      return "none_met";
    case SearchOutcome::kClientLimited:
      return "client_limited";
    case SearchOutcome::kAborted:
      return "aborted";
  }
  return "?";
}

std::string capacity_sentence(const CapacityReport& r) {
  const auto& s = r.search;
  const std::string best = s.best ? rate_text(*s.best) + " req/s" : "";
  char precision[32];
  std::snprintf(precision, sizeof precision, "%g%%", r.bounds.precision * 100);
  switch (s.outcome) {
    case SearchOutcome::kFound: {
      const std::string answer = "capacity: " + best + " met every objective; " +
                                 rate_text(*s.first_fail) + " req/s did not";
      if (s.precision_reached) return answer + " (within " + precision + ")";
      char reached[32];
      std::snprintf(reached, sizeof reached, "%.3g%%", (*s.first_fail - *s.best) / *s.best * 100);
      return answer + " (only within " + reached + ": the --precision of " + precision +
             " was not reached, the rates are too close to tell apart)";
    }
    case SearchOutcome::kHighPassed:
      return "capacity: at least " + best +
             ": the top of --rate met every objective (search higher to find the limit)";
    case SearchOutcome::kNoneMet:
      return "no rate met the objectives: the lowest, " + rate_text(r.bounds.low) +
             " req/s, already failed";
    case SearchOutcome::kClientLimited: {
      const std::string why = r.steps.empty() ? "" : r.steps.back().judgement.why;
      return "stopped: the loadgen itself could not keep up at " + rate_text(r.steps.back().asked) +
             " req/s (" + why + "); that is the client's limit, not the target's. " +
             (s.best ? "The target met every objective up to " + best + " (a lower bound)."
                     : "No step passed before it.");
    }
    case SearchOutcome::kAborted:
      return "stopped: " + (r.steps.empty() ? std::string() : r.steps.back().judgement.why);
  }
  return "";
}

std::string step_line(std::size_t number, const CapacityStepRecord& step) {
  const LatencyHistogram& h = step.stats.latency_us;
  char line[256];
  std::snprintf(line, sizeof line,
                "  step %2zu  %-6s %10s req/s  offered %10s  p50 %9s  p99 %9s  errors %-7s ",
                number, step.bisecting ? "bisect" : "grow", rate_text(step.asked).c_str(),
                rate_text(step.judgement.offered_rate).c_str(),
                format_duration_us(static_cast<double>(h.value_at_percentile(50))).c_str(),
                format_duration_us(static_cast<double>(h.value_at_percentile(99))).c_str(),
                percent_text(error_percent(step.stats)).c_str());
  return line + verdict_text(step) + "\n";
}

std::string render_capacity_text(const CapacityReport& r) {
  std::string out = "\n" + capacity_sentence(r) + "\n";
  out += "  objectives:";
  for (const auto& slo : r.slos) out += " " + slo;
  out += "\n";
  const unsigned sweep = sweep_for(r);
  char line[256];
  std::snprintf(line, sizeof line,
                "  %zu steps in %s; a fixed sweep up to the same precision would take %u steps "
                "(~%s)\n",
                r.steps.size(), seconds_text(r.elapsed_s).c_str(), sweep,
                seconds_text(sweep_seconds(r, sweep)).c_str());
  out += line;
  out += "  one machine: each step's rate comes from this process alone\n";
  return out;
}

nlohmann::json capacity_to_json(const CapacityReport& r) {
  nlohmann::json steps = nlohmann::json::array();
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    const CapacityStepRecord& step = r.steps[i];
    const RunStats& s = step.stats;
    nlohmann::json slos = nlohmann::json::array();
    for (const auto& result : step.judgement.slos) {
      slos.push_back({{"slo", result.slo.text},
                      {"actual", result.actual},
                      {"threshold", result.slo.threshold},
                      {"passed", result.passed}});
    }
    steps.push_back({{"step", i + 1},
                     {"phase", step.bisecting ? "bisect" : "grow"},
                     {"asked_rps", step.asked},
                     {"offered_rps", step.judgement.offered_rate},
                     {"throughput_rps", s.throughput()},
                     {"verdict", verdict_name(step.judgement.verdict)},
                     {"why", step.judgement.why.empty() ? nlohmann::json(nullptr)
                                                        : nlohmann::json(step.judgement.why)},
                     {"requests", s.total()},
                     {"error_percent", error_percent(s)},
                     {"latency_us",
                      {{"p50", s.latency_us.value_at_percentile(50)},
                       {"p90", s.latency_us.value_at_percentile(90)},
                       {"p99", s.latency_us.value_at_percentile(99)},
                       {"max", s.latency_us.max()}}},
                     {"service_us",
                      {{"p50", s.service_us.value_at_percentile(50)},
                       {"p99", s.service_us.value_at_percentile(99)}}},
                     {"slo", slos},
                     {"client",
                      {{"behind", step.judgement.behind},
                       {"busy", step.judgement.busy},
                       {"cpu_cores", step.cpu_cores},
                       {"unsent", s.unsent},
                       {"late_starts", s.late_starts}}},
                     {"wall_s", step.wall_s},
                     {"report", report_to_json(s, step.config.is_null() ? r.config : step.config,
                                               step.judgement.slos)}});
  }
  const unsigned sweep = sweep_for(r);
  return {{"schema", kCapacitySchema},
          {"url", r.url},
          {"slos", r.slos},
          {"settings",
           {{"rate_low", r.bounds.low},
            {"rate_high", r.bounds.high},
            {"growth", r.bounds.growth},
            {"precision", r.bounds.precision},
            {"step_s", static_cast<double>(r.step_ms) / 1000},
            {"settle_s", static_cast<double>(r.settle_ms) / 1000},
            {"machines", 1}}},
          {"outcome", outcome_name(r.search.outcome)},
          {"summary", capacity_sentence(r)},
          {"capacity_rps", r.search.best ? nlohmann::json(*r.search.best) : nlohmann::json()},
          {"first_failing_rps",
           r.search.first_fail ? nlohmann::json(*r.search.first_fail) : nlohmann::json()},
          {"precision_reached", r.search.precision_reached},
          {"elapsed_s", r.elapsed_s},
          {"fixed_sweep", {{"steps", sweep}, {"seconds", sweep_seconds(r, sweep)}}},
          {"config", r.config},
          {"steps", steps}};
}

std::string render_capacity_json(const CapacityReport& r) {
  return capacity_to_json(r).dump(2) + "\n";
}

std::string knee_chart_svg(const CapacityReport& r) {
  LineChart chart("Latency against the asked rate", "asked rate (req/s)", "latency (ms)");
  std::vector<const CapacityStepRecord*> by_rate;
  for (const auto& step : r.steps) {
    if (step.stats.latency_us.count() > 0) by_rate.push_back(&step);
  }
  std::sort(by_rate.begin(), by_rate.end(),
            [](const auto* a, const auto* b) { return a->asked < b->asked; });
  ChartSeries p50{"p50", kBlue, {}, false, false}, p99{"p99", kOrange, {}, false, false};
  ChartSeries passed{"step passed (p99)", kGreen, {}, false, true},
      failed{"step failed (p99)", kRed, {}, false, true},
      limited{"client-limited (p99)", kGrey, {}, false, true};
  double top = 0;
  for (const auto* step : by_rate) {
    const double y99 = ms(step->stats.latency_us.value_at_percentile(99));
    top = std::max(top, y99);
    p50.points.emplace_back(step->asked, ms(step->stats.latency_us.value_at_percentile(50)));
    p99.points.emplace_back(step->asked, y99);
    const StepVerdict v = step->judgement.verdict;
    (v == StepVerdict::kPass   ? passed
     : v == StepVerdict::kFail ? failed
                               : limited)
        .points.emplace_back(step->asked, y99);
  }
  chart.add(std::move(p50));
  chart.add(std::move(p99));
  if (r.search.best) {
    chart.add(
        ChartSeries{"capacity", kGrey, {{*r.search.best, 0}, {*r.search.best, top}}, false, false});
  }
  for (auto* series : {&passed, &failed, &limited}) {
    if (!series->points.empty()) chart.add(std::move(*series));
  }
  return chart.svg();
}

std::string render_capacity_html(const CapacityReport& r) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>loadlab capacity: " +
      escape_xml(r.url) +
      "</title>\n<style>\n"
      "body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 24px auto; "
      "max-width: 860px; padding: 0 12px; }\n"
      "h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 6px; }\n"
      ".answer { font-size: 16px; border-left: 4px solid #1f77b4; padding: 6px 10px; }\n"
      ".pass { color: #2ca02c; font-weight: bold; } .fail { color: #d62728; font-weight: bold; }\n"
      ".limited { color: #7f7f7f; font-weight: bold; }\n"
      "table { border-collapse: collapse; margin: 6px 0; } td, th { padding: 3px 8px; "
      "border-bottom: 1px solid #eee; text-align: right; vertical-align: top; }\n"
      "td.why { text-align: left; font-size: 12px; color: #555; max-width: 300px; }\n"
      "svg.chart { display: block; margin: 8px 0; max-width: 100%; height: auto; }\n"
      "svg .title { font-weight: bold; font-size: 14px; } svg .tick { font-size: 11px; "
      "fill: #444; }\n"
      "svg .axis { font-size: 12px; fill: #444; } svg .legend { font-size: 12px; }\n"
      "svg .grid { stroke: #e5e5e5; } svg .frame { fill: none; stroke: #999; }\n"
      "</style></head><body>\n";
  out += "<h1>Capacity of <code>" + escape_xml(r.url) + "</code></h1>\n";
  out += "<p class=\"answer\">" + escape_xml(capacity_sentence(r)) + "</p>\n";
  out += "<p>Objectives:";
  for (const auto& slo : r.slos) out += " <code>" + escape_xml(slo) + "</code>";
  const unsigned sweep = sweep_for(r);
  char line[320];
  std::snprintf(line, sizeof line,
                ". %zu steps of %s (after %s to settle, left out of the figures) in %s; a fixed "
                "sweep up to the same precision would take %u steps (~%s). One machine: every "
                "step's load came from this process.</p>\n",
                r.steps.size(), seconds_text(static_cast<double>(r.step_ms) / 1000).c_str(),
                seconds_text(static_cast<double>(r.settle_ms) / 1000).c_str(),
                seconds_text(r.elapsed_s).c_str(), sweep,
                seconds_text(sweep_seconds(r, sweep)).c_str());
  out += line;
  out += knee_chart_svg(r);
  out +=
      "<h2>Steps</h2>\n<table><tr><th>#</th><th>phase</th><th>asked req/s</th><th>offered "
      "req/s</th><th>p50</th><th>p99</th><th>errors</th><th>verdict</th><th></th></tr>\n";
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    const CapacityStepRecord& step = r.steps[i];
    const LatencyHistogram& h = step.stats.latency_us;
    const StepVerdict v = step.judgement.verdict;
    const char* css = v == StepVerdict::kPass   ? "pass"
                      : v == StepVerdict::kFail ? "fail"
                                                : "limited";
    std::string why = v == StepVerdict::kFail ? breaches(step.judgement) : step.judgement.why;
    out += "<tr><td>" + std::to_string(i + 1) + "</td><td>" + (step.bisecting ? "bisect" : "grow") +
           "</td><td>" + rate_text(step.asked) + "</td><td>" +
           rate_text(step.judgement.offered_rate) + "</td><td>" +
           format_duration_us(static_cast<double>(h.value_at_percentile(50))) + "</td><td>" +
           format_duration_us(static_cast<double>(h.value_at_percentile(99))) + "</td><td>" +
           percent_text(error_percent(step.stats)) + "</td><td class=\"" + css + "\">" +
           verdict_name(v) + "</td><td class=\"why\">" + escape_xml(why) + "</td></tr>\n";
  }
  out += "</table>\n</body></html>\n";
  return out;
}

}  // namespace loadlab::loadgen
