// Reads the target's Prometheus endpoint before, during and after a run, and turns what it
// reads into the series of the report (loadgen/scrape/target_series.h). Runs on the observer's
// loop (loadgen/run_observer.h), never on a measuring engine's.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/prometheus_text.h"
#include "loadgen/scrape/http_fetch.h"
#include "loadgen/scrape/target_series.h"
#include "loadgen/target.h"

namespace loadlab::loadgen {

struct ScrapePlan {
  Target target;
  std::string url;
  // true: the target's /metrics by default, read only if its Server header says loadlab.
  bool needs_loadlab = false;
  std::vector<std::string> extra_series;  // --scrape-series
  std::uint64_t timeout_ms = 5000;
};

class TargetScraper {
 public:
  enum class Phase { kBaseline, kDuring, kFinal };

  TargetScraper(uv_loop_t* loop, ScrapePlan plan);

  // Reads the endpoint once; `done` runs when that is over (at once if scraping stopped).
  // `since_start_s`: the reading's time in the run (ignored for the baseline).
  void scrape(Phase phase, std::function<double()> since_start_s, std::function<void()> done);
  bool busy() const { return fetch_.busy(); }
  // Abandons a reading in progress (its `done` is not called).
  void cancel() {
    fetch_.cancel();
    done_ = nullptr;
  }
  bool stopped() const { return stopped_; }
  // After a final reading: whether the server's count of the run's requests is settled, i.e.
  // equals `expected` (the loadgen's count of responses) or the previous final reading's. A
  // server counts a response when its write completes, which may be a loop iteration after
  // the client has it, and on another of its loops than the one that answers the scrape.
  bool final_settled(std::optional<std::uint64_t> expected) const;
  void set_start(double start_unix) { source_.start_unix = start_unix; }
  // The report's part: the source (if any reading was made) and the notes.
  TargetScrape result() const;

 private:
  void on_answer(Phase phase, double t, FetchResult answer);
  void record(const PromText& text, double t);
  // The server's responses by status, its own scrapes left out.
  std::map<std::string, double> requests_by_code(const PromText& text) const;
  void stop(const std::string& note);

  HttpFetch fetch_;
  ScrapePlan plan_;
  ScrapeSource source_;
  bool stopped_ = false;
  bool verified_ = false;  // the Server header was checked (or needs no check)
  std::vector<std::string> notes_;
  std::optional<std::map<std::string, double>> baseline_;
  std::optional<std::map<std::string, double>> previous_;  // for rates
  double previous_t_ = 0;
  std::map<std::string, double> previous_extra_;
  std::uint64_t final_readings_ = 0;
  std::optional<std::uint64_t> final_total_, previous_final_total_;  // the last two final counts
  std::function<void()> done_;
};

}  // namespace loadlab::loadgen
