#include "loadgen/scrape/target_report.h"

#include <cmath>
#include <stdexcept>

#include "common/json_count.h"
#include "loadgen/outputs/svg_chart.h"
#include "loadgen/scrape/littles_law.h"

namespace loadlab::loadgen {
namespace {

constexpr const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};

nlohmann::json source_json(const ScrapeSource& s) {
  nlohmann::json series = nlohmann::json::object();
  for (const ScrapedSeries& one : s.series) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& [t, v] : one.points)
      if (std::isfinite(t) && std::isfinite(v)) points.push_back({t, v});
    series[one.name] = std::move(points);
  }
  nlohmann::json by_code = nullptr;
  if (s.requests_by_code) by_code = *s.requests_by_code;
  return {{"url", s.url},
          {"server", s.server},
          {"start_unix", s.start_unix},
          {"scrapes", s.scrapes},
          {"failures", s.failures},
          {"first_error", s.first_error},
          {"requests_counted",
           s.requests_counted() ? nlohmann::json(*s.requests_counted()) : nlohmann::json(nullptr)},
          {"requests_by_code", by_code},
          {"series", series}};
}

// The series of one source whose names pass `pick`, on the run's timeline.
std::string chart(const RunStats& s, const ScrapeSource& source, const std::string& title,
                  const char* y_label, bool (*pick)(const std::string&),
                  bool with_client_rate = false) {
  LineChart c(title, "seconds since start", y_label);
  const double offset = source.start_unix > 0 ? source.start_unix - s.start_unix : 0;
  std::size_t color = 0, shown = 0;
  if (with_client_rate) {
    ChartSeries client{"client: responses/s", "#7f7f7f", {}, false};
    const double step = static_cast<double>(s.interval_ms) / 1000.0;
    for (std::size_t i = 0; i < s.intervals.size(); ++i) {
      const double length = s.interval_length_s(i);
      client.points.emplace_back(step * static_cast<double>(i) + length / 2,
                                 static_cast<double>(s.intervals[i].responses) / length);
    }
    c.add(std::move(client));
  }
  for (const ScrapedSeries& one : source.series) {
    if (!pick(one.name)) continue;
    ChartSeries line{"server: " + one.name, kColors[color++ % std::size(kColors)], {}, false};
    for (const auto& [t, v] : one.points) line.points.emplace_back(t + offset, v);
    c.add(std::move(line));
    ++shown;
  }
  if (shown == 0) return "";
  c.set_x_range(0, std::max(1.0, s.duration_s()));
  return c.svg();
}

// "host:port" of a URL ("" when it has none).
std::string_view authority(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  url.remove_prefix(scheme + 3);
  return url.substr(0, url.find('/'));
}

// The server's count of the run's requests beside the loadgen's count of responses. They
// are compared only when they count the same requests: one run (not a merge, whose sources
// each saw their own report's share) whose every URL is on the scraped host and port.
// Otherwise the server's count is given alone.
std::string requests_counted_text(const RunStats& s, const ScrapeSource& source,
                                  std::uint64_t counted) {
  std::string out = "the server answered " + std::to_string(counted) + " requests during the run";
  bool comparable = s.runs_merged == 1 && s.target.sources.size() == 1 && !s.by_url.empty();
  for (const UrlStats& row : s.by_url)
    if (authority(row.url).empty() || authority(row.url) != authority(source.url))
      comparable = false;
  if (!comparable) return out;
  out += "; the loadgen counted " + std::to_string(s.responses) + " responses";
  if (counted == s.responses) return out + " (the same)";
  const std::uint64_t gap = counted > s.responses ? counted - s.responses : s.responses - counted;
  return out + " (" + std::to_string(gap) + (counted > s.responses ? " more" : " fewer") +
         " on the server's side" +
         (counted > s.responses ? ": other clients, or answers the loadgen counted as errors)"
                                : ": answers whose sending it had not yet counted)");
}

bool is_gauge(const std::string& name) {
  return name == kSeriesInFlight || name == kSeriesOpenConnections || name == kSeriesQueueDepth ||
         name == kSeriesBusyWorkers;
}
bool is_rate(const std::string& name) { return name.starts_with(kSeriesRatePrefix); }
bool is_other(const std::string& name) { return !is_gauge(name) && !is_rate(name); }

}  // namespace

nlohmann::json target_to_json(const RunStats& s) {
  if (s.target.empty()) return nullptr;
  nlohmann::json sources = nlohmann::json::array();
  for (const ScrapeSource& source : s.target.sources) sources.push_back(source_json(source));
  nlohmann::json law = nullptr;
  if (const auto checked = check_littles_law(s)) {
    law = {{"client_rate_rps", checked->client_rate},
           {"client_mean_s", checked->client_mean_s},
           {"client_in_flight", checked->client_in_flight},
           {"server_in_flight", checked->server_in_flight},
           {"server_samples", checked->server_samples},
           {"agree", checked->agree},
           {"statement", checked->statement}};
  }
  return {{"sources", sources}, {"notes", s.target.notes}, {"littles_law", law}};
}

void target_from_json(const nlohmann::json& report, TargetScrape& target) {
  const auto found = report.find("target");
  if (found == report.end() || found->is_null()) return;
  const nlohmann::json& t = *found;
  for (const auto& note : t.value("notes", nlohmann::json::array()))
    target.notes.push_back(note.get<std::string>());
  for (const auto& entry : t.at("sources")) {
    ScrapeSource s;
    s.url = entry.at("url").get<std::string>();
    s.server = entry.value("server", std::string());
    s.start_unix = entry.value("start_unix", 0.0);
    s.scrapes = json_count_or(entry, "scrapes", 0);
    s.failures = json_count_or(entry, "failures", 0);
    s.first_error = entry.value("first_error", std::string());
    if (const auto codes = entry.find("requests_by_code");
        codes != entry.end() && !codes->is_null()) {
      s.requests_by_code.emplace();
      for (const auto& [code, count] : codes->items())
        (*s.requests_by_code)[code] = json_count(count, "requests_by_code " + code);
    }
    for (const auto& [name, points] : entry.at("series").items()) {
      ScrapedSeries series{name, {}};
      for (const auto& point : points) {
        const double t_s = point.at(0).get<double>(), v = point.at(1).get<double>();
        if (!std::isfinite(t_s) || !std::isfinite(v))
          throw std::invalid_argument("malformed report: a scraped point is not finite");
        series.points.emplace_back(t_s, v);
      }
      s.series.push_back(std::move(series));
    }
    target.sources.push_back(std::move(s));
  }
}

std::string target_summary_text(const RunStats& s) {
  if (s.target.empty()) return "";
  std::string out = "  Target's side (scraped):\n";
  for (const ScrapeSource& source : s.target.sources) {
    out += "    " + source.url + " (Server: " + (source.server.empty() ? "-" : source.server) +
           "): " + std::to_string(source.scrapes) + " scrapes, " + std::to_string(source.failures) +
           " failed" + (source.first_error.empty() ? "" : " (first: " + source.first_error + ")") +
           "\n";
    if (const auto counted = source.requests_counted())
      out += "    " + requests_counted_text(s, source, *counted) + "\n";
  }
  if (const auto law = check_littles_law(s)) out += "    " + law->statement + "\n";
  for (const auto& note : s.target.notes) out += "    Note: " + note + "\n";
  return out;
}

std::string target_html(const RunStats& s) {
  if (s.target.empty()) return "";
  std::string out = "<h2>The target's side</h2>\n";
  for (const ScrapeSource& source : s.target.sources) {
    out += "<p>Scraped <code>" + escape_xml(source.url) +
           "</code> (Server: " + escape_xml(source.server.empty() ? "-" : source.server) +
           "): " + std::to_string(source.scrapes) + " scrapes, " + std::to_string(source.failures) +
           " failed" +
           (source.first_error.empty() ? "" : " (first: " + escape_xml(source.first_error) + ")") +
           ".";
    if (const auto counted = source.requests_counted()) {
      std::string said = requests_counted_text(s, source, *counted);
      said[0] = 'T';
      out += " " + escape_xml(said) + ".";
    }
    out += "</p>\n";
    out +=
        chart(s, source, "Server: in flight, connections, queue, busy workers", "count", is_gauge);
    out += chart(s, source, "Server: responses per second by status", "per second", is_rate, true);
    out += chart(s, source, "Server: other scraped series", "value", is_other);
  }
  if (const auto law = check_littles_law(s)) {
    out += std::string("<p") + (law->agree ? ">" : " class=\"warn\">") +
           escape_xml(law->statement) + ".</p>\n";
  }
  for (const auto& note : s.target.notes) out += "<p>Note: " + escape_xml(note) + ".</p>\n";
  return out;
}

}  // namespace loadlab::loadgen
