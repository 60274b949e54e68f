#include "loadgen/report.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "common/decimal.h"
#include "common/json_count.h"
#include "loadgen/format.h"

namespace loadlab::loadgen {
namespace {

constexpr std::pair<const char*, double> kPercentiles[] = {
    {"p50", 50}, {"p75", 75}, {"p90", 90}, {"p99", 99}, {"p99_9", 99.9}, {"p99_99", 99.99}};

nlohmann::json summary_json(const LatencyHistogram& h) {
  nlohmann::json summary = {{"count", h.count()}, {"min", h.min()}, {"max", h.max()},
                            {"mean", h.mean()},   {"stddev", h.stddev()}};
  for (const auto& [name, p] : kPercentiles) summary[name] = h.value_at_percentile(p);
  return summary;
}

void print_histogram_bars(std::ostream& out, const LatencyHistogram& h) {
  // Ten rows between min and max on a log scale: enough to see a second mode or a tail.
  if (h.count() == 0) return;
  const double low = std::max<double>(1, static_cast<double>(h.min()));
  const double high = std::max<double>(low * 1.0001, static_cast<double>(h.max()));
  constexpr int kRows = 10;
  std::uint64_t counts[kRows] = {};
  h.for_each_bucket([&](const LatencyHistogram::Bucket& b) {
    const double value = std::max<double>(1, static_cast<double>(b.lowest_equivalent));
    int row = static_cast<int>(std::log(value / low) / std::log(high / low) * kRows);
    counts[std::clamp(row, 0, kRows - 1)] += b.count;
  });
  std::uint64_t peak = 1;
  for (auto c : counts) peak = std::max(peak, c);
  out << "  Histogram:\n";
  for (int row = 0; row < kRows; ++row) {
    const double upper = low * std::pow(high / low, static_cast<double>(row + 1) / kRows);
    char line[64];
    std::snprintf(line, sizeof line, "    %10s [%8llu] |", format_duration_us(upper).c_str(),
                  static_cast<unsigned long long>(counts[row]));
    out << line << std::string(static_cast<std::size_t>(40 * counts[row] / peak), '#') << "\n";
  }
}

void print_latency_lines(std::ostream& out, const LatencyHistogram& h) {
  if (h.count() == 0) return;
  out << "    min " << format_duration_us(static_cast<double>(h.min())) << ", mean " << format_duration_us(h.mean()) << ", stddev "
      << format_duration_us(h.stddev()) << ", max " << format_duration_us(static_cast<double>(h.max())) << "\n   ";
  for (const auto& [name, p] : kPercentiles) {
    std::string label = name + 1;
    for (auto& c : label) if (c == '_') c = '.';
    out << " p" << label << " " << format_duration_us(static_cast<double>(h.value_at_percentile(p)));
  }
  out << "\n";
}

nlohmann::json intervals_json(const RunStats& s) {
  nlohmann::json series = nlohmann::json::array();
  const double seconds = static_cast<double>(s.interval_ms) / 1000.0;
  for (std::size_t i = 0; i < s.intervals.size(); ++i) {
    const IntervalStats& in = s.intervals[i];
    const LatencyHistogram& h = in.latency_us;
    const double length = s.interval_length_s(i);
    series.push_back({{"t_s", static_cast<double>(i) * seconds},
                      {"length_s", length},
                      {"responses", in.responses},
                      {"errors", in.errors},
                      {"rps", static_cast<double>(in.responses + in.errors) / length},
                      {"latency_us", {{"p50", h.value_at_percentile(50)},
                                      {"p90", h.value_at_percentile(90)},
                                      {"p99", h.value_at_percentile(99)},
                                      {"max", h.max()}}},
                      {"histogram", h.to_json()}});
  }
  return series;
}

void print_by_url(std::ostream& out, const RunStats& s) {
  char line[256];
  out << "  By URL:\n";
  for (const auto& u : s.by_url) {
    const LatencyHistogram& h = u.latency_us;
    auto at = [&h](double p) { return h.count() ? format_duration_us(static_cast<double>(h.value_at_percentile(p))) : std::string("-"); };
    std::snprintf(line, sizeof line, "    %8llu requests (%.1f%%), %llu errors, p50 %s, p99 %s, max %s  ",
                  static_cast<unsigned long long>(u.total()),
                  s.total() ? 100.0 * static_cast<double>(u.total()) / static_cast<double>(s.total()) : 0.0,
                  static_cast<unsigned long long>(u.error_count()), at(50).c_str(), at(99).c_str(), at(100).c_str());
    out << line << u.url << "\n      ";
    for (const auto& [status, count] : u.status_codes) out << " [" << status << "] " << count;
    for (std::size_t i = 0; i < kErrorKinds; ++i) {
      if (u.errors[i] > 0) out << " " << error_kind_name(static_cast<ErrorKind>(i)) << " " << u.errors[i];
    }
    if (u.cancelled > 0) out << " cancelled " << u.cancelled;
    out << "\n";
  }
}

nlohmann::json errors_json(const std::array<std::uint64_t, kErrorKinds>& errors) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < kErrorKinds; ++i) out[error_kind_name(static_cast<ErrorKind>(i))] = errors[i];
  return out;
}

nlohmann::json statuses_json(const std::map<int, std::uint64_t>& codes) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [status, count] : codes) out[std::to_string(status)] = count;
  return out;
}

nlohmann::json by_url_json(const RunStats& s) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& u : s.by_url) {
    list.push_back({{"url", u.url},
                    {"requests", {{"total", u.total()}, {"responses", u.responses}, {"errors", u.error_count()},
                                  {"cancelled", u.cancelled}}},
                    {"status_codes", statuses_json(u.status_codes)},
                    {"errors", errors_json(u.errors)},
                    {"latency_us", summary_json(u.latency_us)},
                    {"latency_histogram", u.latency_us.to_json()}});
  }
  return list;
}

void read_counts(const nlohmann::json& requests, const nlohmann::json& statuses, const nlohmann::json& errors,
                 std::map<int, std::uint64_t>& status_codes, std::array<std::uint64_t, kErrorKinds>& error_counts,
                 std::uint64_t& cancelled) {
  for (const auto& [status, count] : statuses.items()) {
    // A status code is three digits (RFC 9110 §15); std::stoi took "2x", "-5" and threw
    // std::out_of_range, which no caller expects, for "99999999999".
    const auto code = parse_decimal_u64(status);
    if (!code || *code < 100 || *code > 999) throw std::invalid_argument("malformed report: status code '" + status + "'");
    status_codes[static_cast<int>(*code)] = json_count(count, "status " + status);
  }
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    error_counts[i] = json_count_or(errors, error_kind_name(static_cast<ErrorKind>(i)), 0);
  }
  // Older reports counted cancelled requests as an error kind.
  cancelled = json_count_or(requests, "cancelled", json_count_or(errors, "cancelled", 0));
}

}  // namespace

// Said in every output, so that a sum that does not add up is explained rather than silent.
std::vector<std::string> report_notes(const RunStats& s) {
  std::vector<std::string> list;
  const std::uint64_t covered = s.by_url_total();
  if (!s.by_url.empty() && covered != s.total()) {
    list.push_back("the per-URL rows cover " + std::to_string(covered) + " of " + std::to_string(s.total()) +
                   " requests: some merged reports have no per-URL breakdown (written by an older loadgen)");
  }
  for (const auto& u : s.by_url) {
    if (u.url == kOtherUrls) {
      list.push_back("the per-URL rows name the first " + std::to_string(kMaxUrlRows) +
                     " distinct URLs; the others are added up in the row \"" + kOtherUrls + "\"");
    }
  }
  return list;
}

void print_slo_results(std::ostream& out, const std::vector<SloResult>& results) {
  if (results.empty()) return;
  out << "  SLOs:          " << (all_passed(results) ? "all passed" : "BREACHED") << "\n";
  for (const auto& result : results) out << "    " << result.slo.text << ": " << describe(result) << "\n";
}

void print_summary(std::ostream& out, const RunStats& s, const std::string& title) {
  char line[256];
  out << title << "\n";
  std::snprintf(line, sizeof line, "  Requests:      %llu (%llu responses, %llu errors) in %.3fs\n",
                static_cast<unsigned long long>(s.total()), static_cast<unsigned long long>(s.responses),
                static_cast<unsigned long long>(s.error_count()), s.duration_s());
  out << line;
  if (s.cancelled > 0) {
    std::snprintf(line, sizeof line,
                  "  Cancelled:     %llu still in flight at the end (the grace ran out): not counted as requests or errors\n",
                  static_cast<unsigned long long>(s.cancelled));
    out << line;
  }
  std::snprintf(line, sizeof line, "  Throughput:    %.1f req/s\n", s.throughput());
  out << line;
  const auto rate = s.rate_check();
  if (rate) {
    std::snprintf(line, sizeof line, "  Rate:          requested %.1f req/s, achieved %.1f req/s (%.1f%%), open loop\n",
                  rate->requested, rate->achieved, 100.0 * rate->achieved / rate->requested);
    out << line;
    if (!rate->kept_up) {
      std::snprintf(line, sizeof line, "  ! Could not keep up: %.1f req/s were asked for, %.1f req/s were achieved.\n",
                    rate->requested, rate->achieved);
      out << line;
    }
    if (s.unsent > 0) {
      std::snprintf(line, sizeof line,
                    "  ! %llu requests were due but never sent: every connection was still busy when the run ended.\n",
                    static_cast<unsigned long long>(s.unsent));
      out << line;
    }
    if (s.late_starts > 0) {
      std::snprintf(line, sizeof line,
                    "  ! %llu requests started late (up to %s) because every connection was busy: the target fell\n"
                    "    behind the schedule. Latency below counts from each request's slot, so it includes that wait.\n",
                    static_cast<unsigned long long>(s.late_starts), format_duration_us(static_cast<double>(s.max_start_lag_us)).c_str());
      out << line;
    }
  }
  const LatencyHistogram& h = s.latency_us;
  if (h.count() > 0) {
    out << (rate ? "  Latency (from each request's scheduled start):\n" : "  Latency:\n");
    print_latency_lines(out, h);
    print_histogram_bars(out, h);
    if (rate) {
      out << "  Service time (from when each request was sent; hides waiting, shown for comparison):\n";
      print_latency_lines(out, s.service_us);
    }
  }
  out << "  Status codes: ";
  if (s.status_codes.empty()) out << " none";
  for (const auto& [status, count] : s.status_codes) out << " [" << status << "] " << count;
  out << "\n  Errors:       ";
  if (s.error_count() == 0) out << " none";
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    if (s.errors[i] > 0) out << " " << error_kind_name(static_cast<ErrorKind>(i)) << " " << s.errors[i];
  }
  out << "\n";
  if (s.connect_us.count() > 0) {
    std::snprintf(line, sizeof line, "  Connects:      %llu opened; time to connect mean %s, p99 %s, max %s\n",
                  static_cast<unsigned long long>(s.connections_opened), format_duration_us(s.connect_us.mean()).c_str(),
                  format_duration_us(static_cast<double>(s.connect_us.value_at_percentile(99))).c_str(),
                  format_duration_us(static_cast<double>(s.connect_us.max())).c_str());
    out << line;
  }
  if (s.retried_stale > 0) {
    std::snprintf(line, sizeof line,
                  "  Resent:        %llu requests (%.2f%%), once each: their kept-alive connection, idle for 1 ms or more,\n"
                  "                 closed before any answer (the server's idle timeout crossing the send)\n",
                  static_cast<unsigned long long>(s.retried_stale),
                  s.total() ? 100.0 * static_cast<double>(s.retried_stale) / static_cast<double>(s.total()) : 0.0);
    out << line;
  }
  if (s.by_url.size() > 1) print_by_url(out, s);
  for (const auto& note : report_notes(s)) out << "  Note: " << note << "\n";
  if (!s.server_timing_us.empty()) {
    out << "  Server-Timing (where the server says the time went):\n";
    for (const auto& [name, timing] : s.server_timing_us) {
      std::snprintf(line, sizeof line, "    %-10s n=%-8llu p50 %-10s p99 %-10s max %s\n", name.c_str(),
                    static_cast<unsigned long long>(timing.count()),
                    format_duration_us(static_cast<double>(timing.value_at_percentile(50))).c_str(),
                    format_duration_us(static_cast<double>(timing.value_at_percentile(99))).c_str(),
                    format_duration_us(static_cast<double>(timing.max())).c_str());
      out << line;
    }
  }
}

namespace {

nlohmann::json rate_json(const RunStats& s) {
  const auto rate = s.rate_check();
  if (!rate) return nullptr;
  return {{"requested_rps", rate->requested},
          {"achieved_rps", rate->achieved},
          {"kept_up", rate->kept_up},
          {"late_starts", s.late_starts},
          {"unsent", s.unsent},
          {"last_send_s", s.last_send_s},
          {"max_start_lag_us", s.max_start_lag_us}};
}

nlohmann::json slo_json(const std::vector<SloResult>& results) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : results) {
    list.push_back({{"slo", r.slo.text}, {"actual", r.actual}, {"threshold", r.slo.threshold}, {"passed", r.passed}});
  }
  return {{"passed", all_passed(results)}, {"results", list}};
}

}  // namespace

nlohmann::json options_to_json(const RunOptions& o) {
  return {{"urls", o.urls},
          {"method", o.method},
          {"concurrency", o.concurrency},
          {"threads", o.threads},
          {"requests", o.requests ? nlohmann::json(*o.requests) : nlohmann::json(nullptr)},
          {"duration_ms", o.duration_ms ? nlohmann::json(*o.duration_ms) : nlohmann::json(nullptr)},
          {"keepalive", o.keepalive},
          {"timeout_ms", o.timeout_ms},
          {"connect_timeout_ms", o.connect_timeout_ms},
          {"grace_ms", o.grace_ms},
          {"weights", o.weights},
          {"seed", o.seed},
          {"rate", o.rate ? nlohmann::json(*o.rate) : nlohmann::json(nullptr)},
          {"slo", o.slos}};
}

nlohmann::json report_to_json(const RunStats& s, const nlohmann::json& config, const std::vector<SloResult>& slos) {
  const nlohmann::json statuses = statuses_json(s.status_codes);
  const nlohmann::json errors = errors_json(s.errors);
  nlohmann::json timing = nlohmann::json::object();
  for (const auto& [name, h] : s.server_timing_us) {
    timing[name] = {{"summary_us", summary_json(h)}, {"histogram", h.to_json()}};
  }
  return {{"schema", kReportSchema},
          {"tool", "loadlab-loadgen " LOADLAB_VERSION},
          {"config", config},
          {"start_time", iso_time(s.start_unix)},
          {"start_unix", s.start_unix},
          {"end_unix", s.end_unix},
          {"duration_s", s.duration_s()},
          {"runs_merged", s.runs_merged},
          {"requests", {{"total", s.total()}, {"responses", s.responses}, {"errors", s.error_count()}, {"cancelled", s.cancelled}}},
          {"throughput_rps", s.throughput()},
          {"status_codes", statuses},
          {"errors", errors},
          {"latency_us", summary_json(s.latency_us)},
          {"latency_histogram", s.latency_us.to_json()},
          {"server_timing", timing},
          {"bytes_read", s.bytes_read},
          {"connections_opened", s.connections_opened},
          {"retried_stale", s.retried_stale},
          {"connect_us", summary_json(s.connect_us)},
          {"connect_histogram", s.connect_us.to_json()},
          {"by_url", by_url_json(s)},
          {"service_us", summary_json(s.service_us)},
          {"service_histogram", s.service_us.to_json()},
          {"rate", rate_json(s)},
          {"interval_ms", s.interval_ms},
          {"intervals", intervals_json(s)},
          {"notes", report_notes(s)},
          {"slo", slo_json(slos)}};
}

RunStats report_from_json(const nlohmann::json& report) {
  try {
    if (report.value("schema", "") != kReportSchema) {
      throw std::invalid_argument(std::string("not a ") + kReportSchema + " document");
    }
    RunStats s;
    s.latency_us = LatencyHistogram::from_json(report.at("latency_histogram"));
    read_counts(report.at("requests"), report.at("status_codes"), report.at("errors"), s.status_codes, s.errors, s.cancelled);
    for (const auto& [name, entry] : report.at("server_timing").items()) {
      s.server_timing_us.emplace(name, LatencyHistogram::from_json(entry.at("histogram")));
    }
    s.responses = json_count_at(report.at("requests"), "responses");
    s.bytes_read = json_count_or(report, "bytes_read", 0);
    s.connections_opened = json_count_or(report, "connections_opened", 0);
    s.retried_stale = json_count_or(report, "retried_stale", 0);
    s.start_unix = report.at("start_unix").get<double>();
    s.end_unix = report.at("end_unix").get<double>();
    s.runs_merged = json_count_or(report, "runs_merged", 1);
    // Fields added after the first reports: optional, so older documents still merge.
    if (report.contains("service_histogram")) s.service_us = LatencyHistogram::from_json(report.at("service_histogram"));
    if (report.contains("connect_histogram")) s.connect_us = LatencyHistogram::from_json(report.at("connect_histogram"));
    for (const auto& entry : report.value("by_url", nlohmann::json::array())) {
      UrlStats u;
      u.url = entry.at("url").get<std::string>();
      u.responses = json_count_at(entry.at("requests"), "responses");
      read_counts(entry.at("requests"), entry.at("status_codes"), entry.at("errors"), u.status_codes, u.errors, u.cancelled);
      u.latency_us = LatencyHistogram::from_json(entry.at("latency_histogram"));
      s.by_url.push_back(std::move(u));
    }
    s.interval_ms = json_count_or(report, "interval_ms", 1000);
    if (s.interval_ms == 0) throw std::invalid_argument("malformed report: interval_ms is 0");
    for (const auto& entry : report.value("intervals", nlohmann::json::array())) {
      IntervalStats interval;
      interval.responses = json_count_at(entry, "responses");
      interval.errors = json_count_at(entry, "errors");
      interval.latency_us = LatencyHistogram::from_json(entry.at("histogram"));
      interval.latency_us.compact();
      s.intervals.push_back(std::move(interval));
    }
    if (const auto rate = report.find("rate"); rate != report.end() && rate->is_object()) {
      s.target_rate = rate->at("requested_rps").get<double>();
      s.late_starts = json_count_or(*rate, "late_starts", 0);
      s.unsent = json_count_or(*rate, "unsent", 0);
      s.last_send_s = rate->value("last_send_s", 0.0);
      s.max_start_lag_us = json_count_or(*rate, "max_start_lag_us", 0);
    }
    return s;
  } catch (const nlohmann::json::exception& error) {
    throw std::invalid_argument(std::string("malformed report: ") + error.what());
  }
}

void write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    std::cout.flush();
    return;
  }
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

}  // namespace loadlab::loadgen
