#include "loadgen/run_stats.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "common/server_timing.h"

namespace loadlab::loadgen {

const char* error_kind_name(ErrorKind kind) {
  // The names are the JSON report's keys: a report is read back by name, so the order of the
  // kinds may change, a name may not.
  static constexpr const char* kNames[] = {"connect",   "timeout", "reset", "closed",
                                           "truncated", "parse",   "tls"};
  static_assert(std::size(kNames) == kErrorKinds);
  return kNames[static_cast<std::size_t>(kind)];
}

std::uint64_t UrlStats::error_count() const {
  std::uint64_t total = 0;
  for (auto count : errors) total += count;
  return total;
}

void UrlStats::merge(const UrlStats& other) {
  responses += other.responses;
  for (const auto& [status, count] : other.status_codes) status_codes[status] += count;
  for (std::size_t i = 0; i < kErrorKinds; ++i) errors[i] += other.errors[i];
  cancelled += other.cancelled;
  latency_us.merge(other.latency_us);
}

void RunStats::set_urls(const std::vector<std::string>& urls) {
  by_url.clear();
  by_url.reserve(urls.size());
  for (const auto& url : urls)
    by_url.push_back(UrlStats{url, 0, {}, {}, 0, {1, 3'600'000'000ULL, 2}});
}

void RunStats::record_url_response(std::size_t url, int status, std::uint64_t latency_us_value) {
  UrlStats& stats = by_url[url];
  ++stats.responses;
  ++stats.status_codes[status];
  stats.latency_us.record(latency_us_value);
}

std::uint64_t RunStats::error_count() const {
  std::uint64_t total = 0;
  for (auto count : errors) total += count;
  return total;
}

void RunStats::record_response(int status, std::uint64_t latency_us_value) {
  latency_us.record(latency_us_value);
  service_us.record(latency_us_value);
  ++status_codes[status];
  ++responses;
}

IntervalStats& RunStats::interval_at(std::uint64_t since_start_ns) {
  const auto index = static_cast<std::size_t>(since_start_ns / (interval_ms * 1'000'000));
  if (index >= intervals.size()) {
    // Time only moves forward: the interval being left is closed, and keeps only its non-empty
    // buckets (a day at 1 s would otherwise hold 86 400 dense histograms, 2.3 GB).
    if (!intervals.empty()) intervals.back().latency_us.compact();
    intervals.resize(index + 1);
  }
  return intervals[index];
}

void RunStats::record_response(int status, std::uint64_t latency_us_value,
                               std::uint64_t service_us_value, std::uint64_t since_start_ns) {
  latency_us.record(latency_us_value);
  service_us.record(service_us_value);
  ++status_codes[status];
  ++responses;
  IntervalStats& interval = interval_at(since_start_ns);
  ++interval.responses;
  interval.latency_us.record(latency_us_value);
}

void RunStats::record_error(ErrorKind kind, std::uint64_t since_start_ns) {
  record_error(kind);
  ++interval_at(since_start_ns).errors;
}

double RunStats::interval_length_s(std::size_t i) const {
  const double step = static_cast<double>(interval_ms) / 1000.0;
  if (i + 1 < intervals.size() || duration_s() <= 0) return step;
  const double rest = duration_s() - step * static_cast<double>(i);
  return rest > step * 0.01 ? rest : step;
}

void RunStats::fold_trailing_fragment() {
  const double step = static_cast<double>(interval_ms) / 1000.0;
  if (intervals.size() < 2 || duration_s() <= 0) return;
  const double last_start = step * static_cast<double>(intervals.size() - 1);
  if (duration_s() - last_start >= step / 2) return;
  IntervalStats& previous = intervals[intervals.size() - 2];
  const IntervalStats& last = intervals.back();
  previous.responses += last.responses;
  previous.errors += last.errors;
  previous.scheduled += last.scheduled;
  previous.latency_us.merge(last.latency_us);
  previous.latency_us.compact();
  intervals.pop_back();
}

void RunStats::record_server_timing(std::string_view header) {
  for (const auto& metric : parse_server_timing(header)) {
    auto it = server_timing_us.find(metric.name);
    if (it == server_timing_us.end()) {
      // Each name costs a histogram: a server that invents names per response must not be
      // able to exhaust the client's memory.
      if (server_timing_us.size() >= kMaxServerTimingMetrics) continue;
      it = server_timing_us.emplace(metric.name, LatencyHistogram()).first;
    }
    // Clamped before the conversion: a duration of 1e300 ms is the histogram's overflow, not UB.
    it->second.record(
        static_cast<std::uint64_t>(std::llround(std::min(metric.duration_ms * 1000.0, 1e15))));
  }
}

void RunStats::merge_intervals(const RunStats& other) {
  if (other.intervals.empty()) return;
  if (intervals.empty()) interval_ms = other.interval_ms;
  if (other.interval_ms != interval_ms) {
    throw std::invalid_argument("cannot merge time series of " + std::to_string(interval_ms) +
                                " ms and " + std::to_string(other.interval_ms) +
                                " ms intervals (--interval must match)");
  }
  // Interval i of a run covers [start + i * interval, ...): runs that overlap in time (processes
  // or machines started a few seconds apart) line up on the wall clock into one timeline. Runs
  // that did not overlap (yesterday's and today's) are laid over each other from their starts:
  // a gap between them would be nothing but empty intervals.
  const bool overlap = start_unix > 0 && other.start_unix > 0 &&
                       (end_unix == 0 || other.start_unix <= end_unix) &&
                       (other.end_unix == 0 || start_unix <= other.end_unix);
  std::ptrdiff_t shift = 0;
  if (overlap) {
    shift = static_cast<std::ptrdiff_t>(
        std::llround((other.start_unix - start_unix) * 1000.0 / static_cast<double>(interval_ms)));
  }
  if (shift < 0) {
    intervals.insert(intervals.begin(), static_cast<std::size_t>(-shift), IntervalStats{});
    shift = 0;
  }
  const std::size_t needed = other.intervals.size() + static_cast<std::size_t>(shift);
  if (intervals.size() < needed) intervals.resize(needed);
  for (std::size_t i = 0; i < other.intervals.size(); ++i) {
    IntervalStats& mine = intervals[i + static_cast<std::size_t>(shift)];
    mine.responses += other.intervals[i].responses;
    mine.errors += other.intervals[i].errors;
    mine.scheduled += other.intervals[i].scheduled;
    mine.latency_us.merge(other.intervals[i].latency_us);
    mine.latency_us.compact();
  }
}

void RunStats::merge_urls(const RunStats& other) {
  // The engine threads of one run have the same rows in the same order: row by row.
  const bool same_rows =
      by_url.size() == other.by_url.size() &&
      std::equal(by_url.begin(), by_url.end(), other.by_url.begin(),
                 [](const UrlStats& a, const UrlStats& b) { return a.url == b.url; });
  if (same_rows) {
    for (std::size_t i = 0; i < by_url.size(); ++i) by_url[i].merge(other.by_url[i]);
    return;
  }
  // Reports of different mixes: by URL text, so a URL only one of them had is kept, up to
  // kMaxUrlRows of them; the others (and the reports' own "(other)" rows) share one row.
  std::unordered_map<std::string, std::size_t> row_of;
  std::size_t named = 0;
  for (std::size_t i = 0; i < by_url.size(); ++i) {
    row_of.emplace(by_url[i].url, i);
    if (by_url[i].url != kOtherUrls) ++named;
  }
  std::vector<const UrlStats*> to_other;
  for (const auto& theirs : other.by_url) {
    if (const auto found = row_of.find(theirs.url); found != row_of.end()) {
      by_url[found->second].merge(theirs);
    } else if (named < kMaxUrlRows && theirs.url != kOtherUrls) {
      ++named;
      row_of.emplace(theirs.url, by_url.size());
      by_url.push_back(theirs);
    } else {
      to_other.push_back(&theirs);
    }
  }
  if (to_other.empty()) return;
  auto other_row = std::find_if(by_url.begin(), by_url.end(),
                                [](const UrlStats& u) { return u.url == kOtherUrls; });
  if (other_row == by_url.end()) {
    by_url.push_back(UrlStats{kOtherUrls, 0, {}, {}, 0, {1, 3'600'000'000ULL, 2}});
    other_row = by_url.end() - 1;
  }
  for (const UrlStats* theirs : to_other) other_row->merge(*theirs);
}

std::uint64_t RunStats::by_url_total() const {
  std::uint64_t sum = 0;
  for (const auto& u : by_url) sum += u.total();
  return sum;
}

void RunStats::merge(const RunStats& other) {
  latency_us.merge(other.latency_us);
  service_us.merge(other.service_us);
  merge_intervals(other);
  // Runs in parallel (threads, processes, machines) add up to one offered load.
  if (other.target_rate) target_rate = target_rate.value_or(0) + *other.target_rate;
  max_start_lag_us = std::max(max_start_lag_us, other.max_start_lag_us);
  late_starts += other.late_starts;
  unsent += other.unsent;
  sent += other.sent;
  const double offset = start_unix > 0 && other.start_unix > 0 ? other.start_unix - start_unix : 0;
  // Both count from the earlier of the two starts.
  last_send_s = offset >= 0 ? std::max(last_send_s, other.last_send_s + offset)
                            : std::max(last_send_s - offset, other.last_send_s);
  last_due_s = offset >= 0 ? std::max(last_due_s, other.last_due_s + offset)
                           : std::max(last_due_s - offset, other.last_due_s);
  stages_s = std::max(stages_s, other.stages_s);
  start_late_us = std::max(start_late_us, other.start_late_us);
  shards.insert(shards.end(), other.shards.begin(), other.shards.end());
  warnings.insert(warnings.end(), other.warnings.begin(), other.warnings.end());
  for (const auto& [status, count] : other.status_codes) status_codes[status] += count;
  for (std::size_t i = 0; i < kErrorKinds; ++i) errors[i] += other.errors[i];
  connect_us.merge(other.connect_us);
  tls_handshake_us.merge(other.tls_handshake_us);
  ttfb_us.merge(other.ttfb_us);
  tls_handshakes += other.tls_handshakes;
  tls_resumed += other.tls_resumed;
  if (tls_failure.empty()) tls_failure = other.tls_failure;
  merge_urls(other);
  target.merge(other.target);
  for (const auto& [name, histogram] : other.server_timing_us) {
    auto it = server_timing_us.find(name);
    if (it == server_timing_us.end()) it = server_timing_us.emplace(name, LatencyHistogram()).first;
    it->second.merge(histogram);
  }
  responses += other.responses;
  cancelled += other.cancelled;
  bytes_read += other.bytes_read;
  connections_opened += other.connections_opened;
  retried_stale += other.retried_stale;
  busy_poll_cpu_ns += other.busy_poll_cpu_ns;
  if (other.start_unix > 0)
    start_unix = start_unix > 0 ? std::min(start_unix, other.start_unix) : other.start_unix;
  end_unix = std::max(end_unix, other.end_unix);
  runs_merged += other.runs_merged;
}

std::optional<RunStats::RateCheck> RunStats::rate_check() const {
  if (!target_rate || *target_rate <= 0) return std::nullopt;
  // The load offered: requests over the time it took to send them (the last slot's share of
  // the schedule included), not over the run, whose end waits for the slowest response.
  double sending_s = last_send_s > 0 ? last_send_s + 1.0 / *target_rate : duration_s();
  double scheduled_s = last_due_s > 0 ? last_due_s + 1.0 / *target_rate : sending_s;
  // Stages: the rate asked for is their average, over their whole length; sending that took
  // longer than the stages (the client or the target fell behind) offered less than that.
  if (stages_s > 0) {
    scheduled_s = stages_s;
    sending_s = std::max(stages_s, last_send_s > 0 ? last_send_s + 1.0 / *target_rate : 0.0);
  }
  const auto requests = static_cast<double>(total());
  RateCheck check{*target_rate, sending_s > 0 ? requests / sending_s : 0.0,
                  scheduled_s > 0 ? requests / scheduled_s : 0.0, true};
  // 2% is the accuracy the schedule holds on a target that keeps up (tests check it).
  check.kept_up = check.achieved >= 0.98 * check.requested && unsent == 0;
  return check;
}

}  // namespace loadlab::loadgen
