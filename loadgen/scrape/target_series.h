// The target's side of a run: series read from its Prometheus endpoint while the loadgen ran
// (--scrape), kept in the run's report beside the client's own time series.
//
// Merging reports keeps each source apart, never sums them: shards that scraped the same
// server saw the same server, and adding their readings would count it twice. Sources with
// the same URL are listed once each (the first is the one the Little's-law check reads);
// sources with different URLs (several servers) are summed by that check.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace loadlab::loadgen {

// The series loadlab-server's /metrics gives, by the names the report uses.
inline constexpr const char* kSeriesInFlight = "in_flight";
inline constexpr const char* kSeriesOpenConnections = "open_connections";
inline constexpr const char* kSeriesQueueDepth = "queue_depth";
inline constexpr const char* kSeriesBusyWorkers = "busy_workers";
// "requests_per_s:200": the server's rate of responses with that status, per second.
inline constexpr const char* kSeriesRatePrefix = "requests_per_s:";

struct ScrapedSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (seconds since the source's start, value)
};

struct ScrapeSource {
  std::string url;
  std::string server;          // the Server header of its answers
  double start_unix = 0;       // the run's start, which the points' times count from
  std::uint64_t scrapes = 0;   // answered and parsed
  std::uint64_t failures = 0;  // refused, timed out, not 200, or not the exposition format
  std::string first_error;
  // The server's own count of requests answered during the run (a scrape just before the
  // first request and one just after the last), by status; the scrapes' own route left out.
  std::optional<std::map<std::string, std::uint64_t>> requests_by_code;
  std::vector<ScrapedSeries> series;

  const ScrapedSeries* find(const std::string& name) const;
  ScrapedSeries& series_named(const std::string& name);
  std::optional<std::uint64_t> requests_counted() const;
};

struct TargetScrape {
  std::vector<ScrapeSource> sources;
  std::vector<std::string> notes;  // why a scrape was not made or stopped, for the reports

  bool empty() const { return sources.empty() && notes.empty(); }
  void merge(const TargetScrape& other);
};

}  // namespace loadlab::loadgen
