#include "loadgen/outputs/html_report.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "loadgen/format.h"
#include "loadgen/outputs/capacity_report.h"
#include "loadgen/outputs/report_input.h"
#include "loadgen/outputs/svg_chart.h"
#include "loadgen/outputs/wording.h"
#include "loadgen/scrape/target_report.h"

namespace loadlab::loadgen {
namespace {

constexpr const char* kPalette[] = {kPurple, kGreen, kOrange, "#8c564b", "#e377c2", "#17becf"};

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 24px auto; max-width: 760px; padding: 0 12px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 6px; }
.sub { color: #666; margin: 0 0 14px; } code { font-size: 13px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 6px 12px; min-width: 92px; }
.card b { display: block; font-size: 18px; } .card span { color: #666; font-size: 12px; }
.warn { background: #fff4e5; border-left: 4px solid #ff7f0e; padding: 6px 10px; margin: 8px 0; }
.pass { color: #2ca02c; font-weight: bold; } .fail { color: #d62728; font-weight: bold; }
table { border-collapse: collapse; margin: 6px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg.chart { display: block; margin: 8px 0; max-width: 100%; height: auto; }
svg .title { font-weight: bold; font-size: 14px; } svg .tick { font-size: 11px; fill: #444; }
svg .axis { font-size: 12px; fill: #444; } svg .legend { font-size: 12px; }
svg .grid { stroke: #e5e5e5; } svg .frame { fill: none; stroke: #999; }
)";

double ms(std::uint64_t us) { return static_cast<double>(us) / 1000.0; }

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

std::string card(const std::string& value, const std::string& label) {
  return "<div class=\"card\"><b>" + escape_xml(value) + "</b><span>" + escape_xml(label) +
         "</span></div>";
}

// The percentile spectrum as HdrHistogram plots it: x = log10(1 / (1 - p)), so 90%, 99%,
// 99.9% ... sit one step apart and the tail gets the room it deserves.
// How far along the percentile axis a histogram of `count` values has something to say.
double spectrum_reach(std::uint64_t count) {
  return std::min(
      5.0, std::max(2.0, std::log10(static_cast<double>(std::max<std::uint64_t>(1, count)))));
}

void set_percentile_axis(LineChart& chart, double reach) {
  chart.set_x_range(0, reach);
  chart.set_x_ticks(
      {{0, "0%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {5, "99.999%"}});
}

ChartSeries spectrum(const std::string& name, const char* color, const LatencyHistogram& h) {
  ChartSeries series{name, color, {}, false};
  if (h.count() == 0) return series;
  const double last = spectrum_reach(h.count());
  for (int i = 0; i <= 200; ++i) {
    const double x = last * i / 200.0;
    const double p = 100.0 * (1.0 - std::pow(10.0, -x));
    series.points.emplace_back(x, ms(h.value_at_percentile(p)));
  }
  return series;
}

std::string spectrum_chart(const RunStats& s) {
  LineChart chart("Latency by percentile", "percentile", "latency (ms)");
  const bool open_loop = s.target_rate.has_value();
  chart.add(
      spectrum(open_loop ? "latency (from scheduled start)" : "latency", kBlue, s.latency_us));
  if (open_loop) chart.add(spectrum("service time (from send)", kOrange, s.service_us));
  set_percentile_axis(chart, spectrum_reach(s.latency_us.count()));
  return chart.svg();
}

std::string latency_over_time_chart(const RunStats& s) {
  LineChart chart("Latency over time", "seconds since start", "latency (ms)");
  ChartSeries p50{"p50", kGreen, {}, false}, p90{"p90", kOrange, {}, false},
      p99{"p99", kRed, {}, false};
  const double step = static_cast<double>(s.interval_ms) / 1000.0;
  double end = 0;
  for (std::size_t i = 0; i < s.intervals.size(); ++i) {
    const LatencyHistogram& h = s.intervals[i].latency_us;
    end = step * static_cast<double>(i) + s.interval_length_s(i);
    if (h.count() == 0) continue;
    const double t = step * static_cast<double>(i) + s.interval_length_s(i) / 2;
    p50.points.emplace_back(t, ms(h.value_at_percentile(50)));
    p90.points.emplace_back(t, ms(h.value_at_percentile(90)));
    p99.points.emplace_back(t, ms(h.value_at_percentile(99)));
  }
  chart.set_x_range(0, std::max(step, end));
  chart.add(std::move(p50));
  chart.add(std::move(p90));
  chart.add(std::move(p99));
  return chart.svg();
}

std::string throughput_chart(const RunStats& s) {
  LineChart chart("Throughput and errors over time", "seconds since start", "per second");
  ChartSeries done{"responses/s", kBlue, {}, false}, failed{"errors/s", kRed, {}, true};
  const double step = static_cast<double>(s.interval_ms) / 1000.0;
  double end = 0;
  for (std::size_t i = 0; i < s.intervals.size(); ++i) {
    const double length = s.interval_length_s(i);
    const double t = step * static_cast<double>(i) + length / 2;
    done.points.emplace_back(t, static_cast<double>(s.intervals[i].responses) / length);
    failed.points.emplace_back(t, static_cast<double>(s.intervals[i].errors) / length);
    end = step * static_cast<double>(i) + length;
  }
  chart.set_x_range(0, std::max(step, end));
  std::uint64_t scheduled = 0;
  for (const auto& interval : s.intervals) scheduled += interval.scheduled;
  if (scheduled > 0) {
    // The slots due in each interval: a rate that follows --stages is drawn as it was asked.
    ChartSeries target{"requested rate", kGrey, {}, false};
    for (std::size_t i = 0; i < s.intervals.size(); ++i) {
      const double length = s.interval_length_s(i);
      target.points.emplace_back(step * static_cast<double>(i) + length / 2,
                                 static_cast<double>(s.intervals[i].scheduled) / length);
    }
    chart.add(std::move(target));
  } else if (s.target_rate) {
    ChartSeries target{"requested rate",
                       kGrey,
                       {{0, *s.target_rate}, {std::max(step, end), *s.target_rate}},
                       false};
    chart.add(std::move(target));
  }
  chart.add(std::move(done));
  chart.add(std::move(failed));
  return chart.svg();
}

std::string outcomes_chart(const RunStats& s) {
  std::vector<Bar> bars;
  for (const auto& [status, count] : s.status_codes) {
    const char* color = status < 300   ? kGreen
                        : status < 400 ? kBlue
                        : status < 500 ? kOrange
                                       : kRed;
    bars.push_back({"HTTP " + std::to_string(status), static_cast<double>(count), color,
                    std::to_string(count)});
  }
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    if (s.errors[i] == 0) continue;
    bars.push_back({std::string("error: ") + error_kind_name(static_cast<ErrorKind>(i)),
                    static_cast<double>(s.errors[i]), kRed, std::to_string(s.errors[i])});
  }
  if (bars.empty()) bars.push_back({"nothing recorded", 0, kGrey, "0"});
  return bar_chart_svg("Status codes and errors", bars);
}

// Where the time went: the server's own account (Server-Timing) beside what the client saw.
// The gap between them is the network, the kernel's queues and, in an open loop, waiting for
// a free connection.
std::string server_timing_chart(const RunStats& s) {
  std::vector<Bar> bars;
  for (double p : {50.0, 99.0}) {
    const std::string tag = p == 50 ? "p50 " : "p99 ";
    const auto client = s.latency_us.value_at_percentile(p);
    bars.push_back(
        {tag + "client saw", ms(client), kBlue, format_duration_us(static_cast<double>(client))});
    std::size_t color = 0;
    for (const auto& [name, h] : s.server_timing_us) {
      const auto value = h.value_at_percentile(p);
      bars.push_back({tag + "server: " + name, ms(value), kPalette[color++ % std::size(kPalette)],
                      format_duration_us(static_cast<double>(value))});
    }
  }
  return bar_chart_svg("Where the time went (Server-Timing vs client)", bars);
}

std::string percentile_table(const RunStats& s) {
  struct Column {
    std::string name;
    const LatencyHistogram* h;
  };
  std::vector<Column> columns{{s.target_rate ? "latency" : "client", &s.latency_us}};
  if (s.target_rate) columns.push_back({"service time", &s.service_us});
  for (const auto& [name, h] : s.server_timing_us) columns.push_back({"server " + name, &h});
  std::string out = "<table><tr><th>percentile</th>";
  for (const auto& column : columns) out += "<th>" + escape_xml(column.name) + "</th>";
  out += "</tr>";
  for (double p : {50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    out += "<tr><td>" + (p == 100.0 ? std::string("max") : format("p%g", p)) + "</td>";
    for (const auto& column : columns) {
      out += "<td>" +
             (column.h->count()
                  ? format_duration_us(static_cast<double>(column.h->value_at_percentile(p)))
                  : "-") +
             "</td>";
    }
    out += "</tr>";
  }
  return out + "</table>\n";
}

// Where each request's time went, phase by phase: connect and TLS per new connection, the
// wait for the first byte per response.
std::string phases_table(const RunStats& s) {
  struct Row {
    const char* name;
    const LatencyHistogram* h;
  };
  std::string out =
      "<table><tr><th>phase</th><th>count</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th>"
      "<th>max</th></tr>";
  for (const Row& row : {Row{"connect", &s.connect_us}, Row{"TLS handshake", &s.tls_handshake_us},
                         Row{"first byte", &s.ttfb_us}}) {
    const LatencyHistogram& h = *row.h;
    if (h.count() == 0) continue;
    out += std::string("<tr><td>") + row.name + "</td><td>" + std::to_string(h.count()) +
           "</td><td>" + format_duration_us(h.mean()) + "</td>";
    for (double p : {50.0, 90.0, 99.0, 100.0})
      out += "<td>" + format_duration_us(static_cast<double>(h.value_at_percentile(p))) + "</td>";
    out += "</tr>";
  }
  out += "</table>\n";
  if (s.tls_handshakes > 0) {
    out += "<p>" + std::to_string(s.tls_handshakes) + " TLS handshakes, " +
           std::to_string(s.tls_resumed) + " of them resumed a session.</p>\n";
  }
  if (!s.tls_failure.empty()) out += "<p class=\"warn\">" + escape_xml(s.tls_failure) + "</p>\n";
  return out;
}

std::string by_url_table(const RunStats& s) {
  std::string out =
      "<table><tr><th>URL</th><th>requests</th><th>share</th><th>statuses</th><th>errors</th>"
      "<th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>";
  for (const auto& u : s.by_url) {
    const LatencyHistogram& h = u.latency_us;
    auto at = [&h](double p) {
      return h.count() ? format_duration_us(static_cast<double>(h.value_at_percentile(p)))
                       : std::string("-");
    };
    std::string statuses;
    for (const auto& [status, count] : u.status_codes)
      statuses +=
          (statuses.empty() ? "" : ", ") + std::to_string(status) + ": " + std::to_string(count);
    std::string errors;
    for (std::size_t i = 0; i < kErrorKinds; ++i) {
      if (u.errors[i] == 0) continue;
      errors += (errors.empty() ? "" : ", ") +
                std::string(error_kind_name(static_cast<ErrorKind>(i))) + ": " +
                std::to_string(u.errors[i]);
    }
    const double share =
        s.total() ? 100.0 * static_cast<double>(u.total()) / static_cast<double>(s.total()) : 0.0;
    out += "<tr><td><code>" + escape_xml(u.url) + "</code></td><td>" + std::to_string(u.total()) +
           "</td><td>" + format("%.1f%%", share) + "</td><td>" + escape_xml(statuses) +
           "</td><td>" + (errors.empty() ? "0" : escape_xml(errors)) + "</td><td>" + at(50) +
           "</td><td>" + at(90) + "</td><td>" + at(99) + "</td><td>" + at(100) + "</td></tr>";
  }
  return out + "</table>\n";
}

std::string config_line(const nlohmann::json& config) {
  std::string out;
  if (config.contains("urls")) {
    out += escape_xml(config.value("method", std::string("GET")));
    for (const auto& url : config["urls"])
      out += " <code>" + escape_xml(url.get<std::string>()) + "</code>";
  }
  auto add = [&out, &config](const char* key, const char* label) {
    if (config.contains(key) && !config[key].is_null())
      out += " &middot; " + std::string(label) + " " + escape_xml(config[key].dump());
  };
  add("concurrency", "-c");
  add("rate", "--rate");
  add("requests", "-n");
  add("duration_ms", "duration ms");
  add("threads", "-t");
  return out;
}

std::string page_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
         escape_xml(title) + "</title>\n<style>" + kStyle + "</style></head>\n<body>\n<h1>" +
         escape_xml(title) + "</h1>\n";
}

}  // namespace

std::string render_html_report(const RunStats& s, const nlohmann::json& config,
                               const std::vector<SloResult>& slos, const std::string& title) {
  std::string out = page_head(title);
  out += "<p class=\"sub\">" + iso_time(s.start_unix) + " &middot; " +
         format("%.2f s", s.duration_s()) + " &middot; loadlab-loadgen " LOADLAB_VERSION;
  if (s.runs_merged > 1) out += " &middot; " + std::to_string(s.runs_merged) + " runs merged";
  out += "<br>" + config_line(config) + "</p>\n";

  const double error_pct =
      s.total() ? 100.0 * static_cast<double>(s.error_count()) / static_cast<double>(s.total()) : 0;
  out +=
      "<div class=\"cards\">" + card(std::to_string(s.total()), "requests") +
      card(format("%.1f/s", s.throughput()), "throughput") +
      card(format_duration_us(static_cast<double>(s.latency_us.value_at_percentile(50))), "p50") +
      card(format_duration_us(static_cast<double>(s.latency_us.value_at_percentile(99))), "p99") +
      card(format_duration_us(static_cast<double>(s.latency_us.max())), "max") +
      card(std::to_string(s.error_count()) + format(" (%.1f%%)", error_pct), "errors") + "</div>\n";
  if (s.cancelled > 0) {
    out += "<p>" + std::to_string(s.cancelled) +
           " requests were still in flight when the grace ran out and were "
           "cancelled: they are not counted as requests or errors.</p>\n";
  }

  if (const auto rate = s.rate_check()) {
    out += "<p>Open loop: requested " + format("%.1f", rate->requested) + " req/s, achieved " +
           format("%.1f", rate->achieved) +
           " req/s. Latency counts from each request's scheduled start, so a stall "
           "shows up in it; the service time (from when a request was actually sent) is shown "
           "beside it.</p>\n";
    if (!rate->kept_up) out += "<p class=\"warn\">" + std::string(kNotKeptUp) + "</p>\n";
    if (s.unsent > 0) out += "<p class=\"warn\">" + unsent_warning(s.unsent) + "</p>\n";
    if (s.late_starts > 0)
      out +=
          "<p class=\"warn\">" + late_start_warning(s.late_starts, s.max_start_lag_us) + ".</p>\n";
  }
  if (!slos.empty()) {
    out += "<h2>Service-level objectives: <span class=\"" +
           std::string(all_passed(slos) ? "pass\">all passed" : "fail\">breached") +
           "</span></h2>\n<table><tr><th>objective</th><th>measured</th><th>result</th></tr>";
    for (const auto& r : slos) {
      out += "<tr><td><code>" + escape_xml(r.slo.text) + "</code></td><td>" +
             escape_xml(describe(r, false)) + "</td><td class=\"" +
             (r.passed ? "pass\">pass" : "fail\">FAIL") + "</td></tr>";
    }
    out += "</table>\n";
  }

  out += "<h2>Latency distribution</h2>\n" + spectrum_chart(s) + percentile_table(s);
  out += "<h2>Over time</h2>\n" + latency_over_time_chart(s) + throughput_chart(s);
  out += target_html(s);  // the server's series, under the client's
  out += "<h2>Outcomes</h2>\n" + outcomes_chart(s);
  if (s.connect_us.count() > 0) {
    out += "<p>" + std::to_string(s.connections_opened) +
           " connections opened; time to connect: mean " + format_duration_us(s.connect_us.mean()) +
           ", p99 " +
           format_duration_us(static_cast<double>(s.connect_us.value_at_percentile(99))) +
           ", max " + format_duration_us(static_cast<double>(s.connect_us.max())) + ".</p>\n";
  }
  if (s.connect_us.count() > 0 || s.ttfb_us.count() > 0)
    out += "<h2>Phases</h2>\n" + phases_table(s);
  if (s.retried_stale > 0) {
    out += "<p>" + std::to_string(s.retried_stale) + " requests resent once: " + resent_reason() +
           ".</p>\n";
  }
  if (s.by_url.size() > 1) out += "<h2>By URL</h2>\n" + by_url_table(s);
  for (const auto& note : report_notes(s)) out += "<p>Note: " + escape_xml(note) + ".</p>\n";
  if (!s.server_timing_us.empty()) out += "<h2>Server-Timing</h2>\n" + server_timing_chart(s);
  out += "</body></html>\n";
  return out;
}

std::string render_html(const RunReport& report) {
  return render_html_report(report.stats, report.config, report.slos, report.title);
}

std::string render_talk_html(const TalkReport& talk) {
  const std::vector<TalkRow>& rows = talk.rows;
  const std::string& base_url = talk.url_template;
  std::string out = page_head("The talk's demo: unbounded vs a semaphore");
  out += "<p class=\"sub\">" +
         (rows.empty() ? std::string() : iso_time(rows.front().stats->start_unix)) +
         " &middot; loadlab-loadgen " LOADLAB_VERSION "<br>GET <code>" + escape_xml(base_url) +
         "</code></p>\n";
  out +=
      "<p>Unbounded, every request is in flight at once: a burst takes about as long as its "
      "slowest delay, "
      "because an event loop waits on all of them together. With a semaphore, at most that many "
      "wait at the "
      "same time: the run takes about requests &times; mean delay / concurrency, and no request "
      "waits on the "
      "client's own overload.</p>\n";
  out +=
      "<table><tr><th>run</th><th>requests</th><th>in "
      "flight</th><th>elapsed</th><th>ideal</th><th>ratio</th>"
      "<th>p50</th><th>p99</th><th>errors</th></tr>";
  std::vector<Bar> bars;
  LineChart chart("Latency by percentile, per run", "percentile", "latency (ms)");
  double reach = 2;
  std::size_t color = 0;
  for (const auto& row : rows) {
    const RunStats& s = *row.stats;
    out += "<tr><td>" + escape_xml(row.name) + "</td><td>" + std::to_string(s.total()) +
           "</td><td>" + std::to_string(row.concurrency) + "</td><td>" +
           format("%.2f s", s.duration_s()) + "</td><td>" + format("%.2f s", row.ideal_s) +
           "</td><td>" + format("%.2f", row.ideal_s > 0 ? s.duration_s() / row.ideal_s : 0) +
           "</td><td>" +
           format_duration_us(static_cast<double>(s.latency_us.value_at_percentile(50))) +
           "</td><td>" +
           format_duration_us(static_cast<double>(s.latency_us.value_at_percentile(99))) +
           "</td><td>" + std::to_string(s.error_count()) + "</td></tr>";
    const std::string label = row.name + " x" + std::to_string(s.total());
    bars.push_back({label + " elapsed", s.duration_s(), kBlue, format("%.2f s", s.duration_s())});
    bars.push_back({label + " ideal", row.ideal_s, kGrey, format("%.2f s", row.ideal_s)});
    chart.add(spectrum(label, kPalette[color++ % std::size(kPalette)], s.latency_us));
    reach = std::max(reach, spectrum_reach(s.latency_us.count()));
  }
  out += "</table>\n" + bar_chart_svg("Elapsed vs ideal time", bars);
  set_percentile_axis(chart, reach);
  out += chart.svg();
  if (talk.capacity != nullptr) {
    for (const auto& search : *talk.capacity) {
      out += "<h2>Capacity of <code>" + escape_xml(search.url) + "</code></h2>\n<p>" +
             escape_xml(capacity_sentence(search)) + "</p>\n" + knee_chart_svg(search);
    }
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace loadlab::loadgen
