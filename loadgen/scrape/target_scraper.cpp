#include "loadgen/scrape/target_scraper.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/printable.h"

namespace loadlab::loadgen {
namespace {

// A label value from the target goes into series names, JSON keys and HTML: printable ASCII
// only (a JSON writer refuses invalid UTF-8), and short.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) out += c > ' ' && c < 127 ? c : '?';
  return out;
}

}  // namespace

TargetScraper::TargetScraper(uv_loop_t* loop, ScrapePlan plan)
    : fetch_(loop), plan_(std::move(plan)) {
  source_.url = plan_.url;
  verified_ = !plan_.needs_loadlab;
}

void TargetScraper::scrape(Phase phase, std::function<double()> since_start_s,
                           std::function<void()> done) {
  if (stopped_ || fetch_.busy()) {
    if (done) done();
    return;
  }
  done_ = std::move(done);
  fetch_.get(plan_.target, plan_.timeout_ms,
             [this, phase, since = std::move(since_start_s)](FetchResult answer) {
               on_answer(phase, phase == Phase::kBaseline ? 0.0 : since(), std::move(answer));
               if (auto done_now = std::exchange(done_, nullptr)) done_now();
             });
}

void TargetScraper::on_answer(Phase phase, double t, FetchResult answer) {
  std::string error = answer.error;
  if (error.empty() && answer.status != 200)
    error = "HTTP " + std::to_string(answer.status) + " from " + plan_.url;
  if (error.empty() && !verified_) {
    if (!answer.server.starts_with("loadlab")) {
      return stop("no scrape: the target is not loadlab-server (Server: " +
                  (answer.server.empty() ? std::string("none") : printable(answer.server)) +
                  "); give --scrape URL to read another server's metrics");
    }
    verified_ = true;
  }
  PromText text;
  if (error.empty()) {
    text = parse_prometheus_text(answer.body);
    if (!text.ok()) error = "not Prometheus text: " + text.error;
  }
  if (!error.empty()) {
    if (!verified_) return stop("no scrape: " + plan_.url + ": " + error);
    ++source_.failures;
    // The error may quote the target's bytes: printable and bounded before a report holds it.
    if (source_.first_error.empty()) source_.first_error = printable_excerpt(error, 400);
    return;
  }
  ++source_.scrapes;
  source_.server = printable(answer.server);
  auto codes = requests_by_code(text);
  // A repeated final reading (RunObserver) only settles the count: no series points 50 ms
  // apart.
  const bool repeat = phase == Phase::kFinal && final_readings_ > 0;
  if (phase == Phase::kFinal) ++final_readings_;
  if (phase != Phase::kBaseline && !repeat) record(text, t);
  if (phase == Phase::kBaseline) baseline_ = codes;
  if (previous_ && t > previous_t_ && !repeat) {
    std::map<std::string, double> all = codes;
    for (const auto& [code, count] : *previous_) all.try_emplace(code, count);
    for (const auto& [code, count] : all) {
      const double before = previous_->contains(code) ? previous_->at(code) : 0.0;
      const double rate = std::max(0.0, (count - before) / (t - previous_t_));
      source_.series_named(kSeriesRatePrefix + code).points.emplace_back(t, rate);
    }
  }
  if (phase == Phase::kFinal && baseline_) {
    std::map<std::string, std::uint64_t> counted;
    bool restarted = false;
    for (const auto& [code, count] : codes) {
      const double before = baseline_->contains(code) ? baseline_->at(code) : 0.0;
      if (count < before) restarted = true;
      if (count > before) counted[code] = static_cast<std::uint64_t>(count - before);
    }
    if (restarted) {
      notes_.push_back(
          "the target's counters went back during the run (a restart?): its "
          "count of requests is left out");
    } else if (text.sum("loadlab_http_requests_total")) {
      previous_final_total_ = std::exchange(final_total_, 0);
      for (const auto& [code, count] : counted) *final_total_ += count;
      source_.requests_by_code = std::move(counted);
    }
  }
  previous_ = std::move(codes);
  previous_t_ = t;
}

bool TargetScraper::final_settled(std::optional<std::uint64_t> expected) const {
  if (stopped_ || !final_total_) return true;  // nothing a further reading could change
  if (expected && *final_total_ == *expected) return true;
  return previous_final_total_ && *previous_final_total_ == *final_total_;
}

void TargetScraper::record(const PromText& text, double t) {
  // loadlab-server's gauges count this scrape's own request and connection: left out.
  auto gauge = [&](const char* metric, const char* series, double own) {
    if (const auto value = text.sum(metric); value && std::isfinite(*value))
      source_.series_named(series).points.emplace_back(t, std::max(0.0, *value - own));
  };
  gauge("loadlab_http_requests_in_flight", kSeriesInFlight, 1);
  gauge("loadlab_open_connections", kSeriesOpenConnections, 1);
  gauge("loadlab_prime_queue_depth", kSeriesQueueDepth, 0);
  gauge("loadlab_prime_workers_busy", kSeriesBusyWorkers, 0);
  for (const std::string& name : plan_.extra_series) {
    PromSample probe;
    probe.name = name;
    const auto value = text.sum(name);
    if (!value || !std::isfinite(*value)) continue;
    if (text.type_of(probe) != PromType::kCounter) {
      source_.series_named(name).points.emplace_back(t, *value);
      continue;
    }
    if (const auto it = previous_extra_.find(name); it != previous_extra_.end() && t > previous_t_)
      source_.series_named(name + "/s")
          .points.emplace_back(t, std::max(0.0, (*value - it->second) / (t - previous_t_)));
    previous_extra_[name] = *value;
  }
}

std::map<std::string, double> TargetScraper::requests_by_code(const PromText& text) const {
  std::map<std::string, double> codes;
  for (const PromSample& s : text.samples) {
    if (s.name != "loadlab_http_requests_total" || s.label("route") == "metrics") continue;
    const auto code = s.label("code");
    if (std::isfinite(s.value) && s.value >= 0) codes[code ? printable(*code) : "other"] += s.value;
  }
  return codes;
}

void TargetScraper::stop(const std::string& note) {
  stopped_ = true;
  notes_.push_back(printable_excerpt(note, 400));
}

TargetScrape TargetScraper::result() const {
  TargetScrape out;
  out.notes = notes_;
  if (verified_ && (source_.scrapes > 0 || source_.failures > 0)) out.sources.push_back(source_);
  for (const std::string& name : plan_.extra_series) {
    if (source_.scrapes > 0 && !source_.find(name) && !source_.find(name + "/s"))
      out.notes.push_back("--scrape-series " + name + ": the target has no such metric");
  }
  return out;
}

}  // namespace loadlab::loadgen
