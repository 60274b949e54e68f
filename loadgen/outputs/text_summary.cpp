#include "loadgen/outputs/text_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "loadgen/format.h"
#include "loadgen/outputs/json_report.h"
#include "loadgen/outputs/report_input.h"
#include "loadgen/outputs/wording.h"
#include "loadgen/scrape/target_report.h"

namespace loadlab::loadgen {
namespace {

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
  out << "    min " << format_duration_us(static_cast<double>(h.min())) << ", mean "
      << format_duration_us(h.mean()) << ", stddev " << format_duration_us(h.stddev()) << ", max "
      << format_duration_us(static_cast<double>(h.max())) << "\n   ";
  for (const auto& [name, p] : kReportPercentiles) {
    std::string label = name + 1;
    for (auto& c : label)
      if (c == '_') c = '.';
    out << " p" << label << " "
        << format_duration_us(static_cast<double>(h.value_at_percentile(p)));
  }
  out << "\n";
}

void print_by_url(std::ostream& out, const RunStats& s) {
  char line[256];
  out << "  By URL:\n";
  for (const auto& u : s.by_url) {
    const LatencyHistogram& h = u.latency_us;
    auto at = [&h](double p) {
      return h.count() ? format_duration_us(static_cast<double>(h.value_at_percentile(p)))
                       : std::string("-");
    };
    std::snprintf(
        line, sizeof line, "    %8llu requests (%.1f%%), %llu errors, p50 %s, p99 %s, max %s  ",
        static_cast<unsigned long long>(u.total()),
        s.total() ? 100.0 * static_cast<double>(u.total()) / static_cast<double>(s.total()) : 0.0,
        static_cast<unsigned long long>(u.error_count()), at(50).c_str(), at(99).c_str(),
        at(100).c_str());
    out << line << u.url << "\n      ";
    for (const auto& [status, count] : u.status_codes) out << " [" << status << "] " << count;
    for (std::size_t i = 0; i < kErrorKinds; ++i) {
      if (u.errors[i] > 0)
        out << " " << error_kind_name(static_cast<ErrorKind>(i)) << " " << u.errors[i];
    }
    if (u.cancelled > 0) out << " cancelled " << u.cancelled;
    out << "\n";
  }
}

// Where each request's time went, phase by phase (docs/loadgen.md, "Phases").
void print_phases(std::ostream& out, const RunStats& s) {
  if (s.connect_us.count() == 0 && s.ttfb_us.count() == 0) return;
  out << "  Phases:        connect and TLS per new connection, first byte per response\n";
  char line[256];
  const auto row = [&](const char* name, const LatencyHistogram& h, const std::string& extra) {
    if (h.count() == 0) return;
    std::snprintf(line, sizeof line, "    %-14s n=%-8llu mean %-10s p50 %-10s p99 %-10s max %s",
                  name, static_cast<unsigned long long>(h.count()),
                  format_duration_us(h.mean()).c_str(),
                  format_duration_us(static_cast<double>(h.value_at_percentile(50))).c_str(),
                  format_duration_us(static_cast<double>(h.value_at_percentile(99))).c_str(),
                  format_duration_us(static_cast<double>(h.max())).c_str());
    out << line << extra << "\n";
  };
  row("connect", s.connect_us, "");
  row("TLS handshake", s.tls_handshake_us,
      s.tls_handshakes > 0 ? "  (" + std::to_string(s.tls_resumed) + " resumed)" : "");
  row("first byte", s.ttfb_us, "");
}

}  // namespace

void print_slo_results(std::ostream& out, const std::vector<SloResult>& results) {
  if (results.empty()) return;
  out << "  SLOs:          " << (all_passed(results) ? "all passed" : "BREACHED") << "\n";
  for (const auto& result : results)
    out << "    " << result.slo.text << ": " << describe(result) << "\n";
}

void print_summary(std::ostream& out, const RunStats& s, const std::string& title) {
  char line[256];
  out << title << "\n";
  std::snprintf(line, sizeof line, "  Requests:      %llu (%llu responses, %llu errors) in %.3fs\n",
                static_cast<unsigned long long>(s.total()),
                static_cast<unsigned long long>(s.responses),
                static_cast<unsigned long long>(s.error_count()), s.duration_s());
  out << line;
  if (s.cancelled > 0) {
    std::snprintf(line, sizeof line,
                  "  Cancelled:     %llu still in flight at the end (the grace ran out): not "
                  "counted as requests or errors\n",
                  static_cast<unsigned long long>(s.cancelled));
    out << line;
  }
  if (s.shard_count > 1) {
    out << "  Shards:        ";
    if (s.shards.size() == 1) {
      out << s.shards.front() << "/" << s.shard_count;
    } else {
      out << s.shards.size() << " of " << s.shard_count;
    }
    out << " of run " << s.run_id << "\n";
  }
  if (s.start_late_us > 0) {
    out << "  Start:         " << format_duration_us(static_cast<double>(s.start_late_us))
        << " after --start-at" << (s.shards.size() > 1 ? " (the latest shard)" : "")
        << (s.start_late_us >= kLateStartUs
                ? ": requests due meanwhile went out late, their latency counts from their slots"
                : "")
        << "\n";
  }
  std::snprintf(line, sizeof line, "  Throughput:    %.1f req/s\n", s.throughput());
  out << line;
  const auto rate = s.rate_check();
  if (rate) {
    std::snprintf(
        line, sizeof line,
        "  Rate:          requested %.1f req/s, achieved %.1f req/s (%.1f%%), open loop\n",
        rate->requested, rate->achieved, 100.0 * rate->achieved / rate->requested);
    out << line;
    if (!rate->kept_up) out << "  ! " << not_kept_up_warning(*rate) << "\n";
    if (s.unsent > 0) out << "  ! " << unsent_warning(s.unsent) << "\n";
    if (s.late_starts > 0) {
      out << "  ! " << late_start_warning(s.late_starts, s.max_start_lag_us)
          << ": the target fell\n"
          << "    behind the schedule. Latency below counts from each request's slot, so it "
             "includes that wait.\n";
    }
  }
  const LatencyHistogram& h = s.latency_us;
  if (h.count() > 0) {
    out << (rate ? "  Latency (from each request's scheduled start):\n" : "  Latency:\n");
    print_latency_lines(out, h);
    print_histogram_bars(out, h);
    if (rate) {
      out << "  Service time (from when each request was sent; hides waiting, shown for "
             "comparison):\n";
      print_latency_lines(out, s.service_us);
    }
  }
  out << "  Status codes: ";
  if (s.status_codes.empty()) out << " none";
  for (const auto& [status, count] : s.status_codes) out << " [" << status << "] " << count;
  out << "\n  Errors:       ";
  if (s.error_count() == 0) out << " none";
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    if (s.errors[i] > 0)
      out << " " << error_kind_name(static_cast<ErrorKind>(i)) << " " << s.errors[i];
  }
  out << "\n";
  if (s.connect_us.count() > 0) {
    std::snprintf(
        line, sizeof line,
        "  Connects:      %llu opened; time to connect mean %s, p99 %s, max %s\n",
        static_cast<unsigned long long>(s.connections_opened),
        format_duration_us(s.connect_us.mean()).c_str(),
        format_duration_us(static_cast<double>(s.connect_us.value_at_percentile(99))).c_str(),
        format_duration_us(static_cast<double>(s.connect_us.max())).c_str());
    out << line;
  }
  print_phases(out, s);
  if (s.retried_stale > 0) {
    std::snprintf(
        line, sizeof line, "  Resent:        %llu requests (%.2f%%), once each: ",
        static_cast<unsigned long long>(s.retried_stale),
        s.total() ? 100.0 * static_cast<double>(s.retried_stale) / static_cast<double>(s.total())
                  : 0.0);
    out << line << resent_reason("\n                 ") << "\n";
  }
  if (s.by_url.size() > 1) print_by_url(out, s);
  out << target_summary_text(s);
  for (const auto& note : report_notes(s)) out << "  Note: " << note << "\n";
  if (!s.server_timing_us.empty()) {
    out << "  Server-Timing (where the server says the time went):\n";
    for (const auto& [name, timing] : s.server_timing_us) {
      std::snprintf(line, sizeof line, "    %-10s n=%-8llu p50 %-10s p99 %-10s max %s\n",
                    name.c_str(), static_cast<unsigned long long>(timing.count()),
                    format_duration_us(static_cast<double>(timing.value_at_percentile(50))).c_str(),
                    format_duration_us(static_cast<double>(timing.value_at_percentile(99))).c_str(),
                    format_duration_us(static_cast<double>(timing.max())).c_str());
      out << line;
    }
  }
}

std::string render_text_summary(const RunReport& report) {
  std::ostringstream out;
  print_summary(out, report.stats, report.title);
  print_slo_results(out, report.slos);
  return out.str();
}

}  // namespace loadlab::loadgen
