// Watches a run from a thread and a uv loop of its own: scrapes the target's metrics
// (loadgen/scrape/target_scraper.h) and serves --metrics-listen (loadgen/live_endpoint.h).
// Neither runs on a measuring engine's loop: a scrape's parse or a slow client of the
// endpoint never delays a response's timestamp. (On a machine with few cores the thread does
// share the CPU with the engines; it wakes once per interval and per endpoint request.)
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/uv_handle.h"
#include "loadgen/engine.h"
#include "loadgen/live_endpoint.h"
#include "loadgen/options.h"
#include "loadgen/scrape/target_scraper.h"

namespace loadlab::loadgen {

// What the run's options ask to scrape, if anything; notes say why not. Throws
// std::invalid_argument for a bad --scrape URL.
std::optional<ScrapePlan> plan_scrape(const RunOptions& options, std::vector<std::string>& notes);

// Descriptors the observer may hold at once: its loop's own (epoll, eventfd, timer, signal
// pipe: a few), the scrape's socket, the --metrics-listen listener and up to 65 connections
// to it (64 served, one more accepted to be closed at once).
inline constexpr std::uint64_t kObserverFds = 72;

class RunObserver final : public RunWatcher {
 public:
  // Binds --metrics-listen (throws std::runtime_error when it cannot) and starts the thread,
  // which takes the baseline scrape at once.
  explicit RunObserver(const RunOptions& options);
  ~RunObserver() override;
  RunObserver(const RunObserver&) = delete;
  RunObserver& operator=(const RunObserver&) = delete;

  static bool wanted(const RunOptions& options);

  void starting(std::vector<const LiveMetrics*> engines) override;
  void started(double start_unix, std::uint64_t start_ns) override;
  void finished(std::uint64_t responses) override;
  // The target's side of the run, after finished().
  TargetScrape result();

 private:
  void on_wake();
  void on_tick();
  void final_scrape();
  void final_done();
  void render(std::string& out);
  double since_start_s() const;

  EventLoop loop_;  // first: outlives every handle below
  AsyncSignal wake_;
  Timer tick_;
  std::optional<TargetScraper> scraper_;
  std::optional<LiveEndpoint> endpoint_;
  std::uint64_t interval_ms_;
  std::optional<double> target_rate_;
  std::vector<std::string> notes_;
  // The loop thread's own copies.
  std::uint64_t loop_start_ns_ = 0;
  bool ticking_ = false;
  bool finishing_ = false;
  int final_readings_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<const LiveMetrics*> engines_;  // guarded; empty outside the run
  std::string final_text_;                   // the endpoint's last exposition, after the run
  std::uint64_t start_ns_ = 0, end_ns_ = 0;
  std::optional<std::uint64_t> expected_responses_;  // the engines' count, at the end
  double start_unix_ = 0;
  bool baseline_done_ = false, start_asked_ = false, finish_asked_ = false, final_done_ = false,
       stop_asked_ = false;
  TargetScrape result_;
  std::thread thread_;  // last: started when everything above is ready
};

}  // namespace loadlab::loadgen
