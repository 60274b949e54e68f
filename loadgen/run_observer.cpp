#include "loadgen/run_observer.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <stdexcept>

namespace loadlab::loadgen {
namespace {

// A scrape more often than this would be load of its own on the target.
constexpr std::uint64_t kMinScrapeIntervalMs = 100;
// A baseline scrape that does not answer within this does not hold the run back longer.
constexpr auto kMaxBaselineWait = std::chrono::seconds(10);
// The final reading is made again, this far apart and this many times at most, until the
// server's count of the run's requests is settled (TargetScraper::final_settled).
constexpr std::uint64_t kFinalRepeatMs = 50;
constexpr int kMaxFinalReadings = 5;

}  // namespace

std::optional<ScrapePlan> plan_scrape(const RunOptions& options, std::vector<std::string>& notes) {
  const ObserveOptions& o = options.observe;
  if (!o.scrape) return std::nullopt;
  ScrapePlan plan;
  plan.extra_series = o.scrape_series;
  if (!o.scrape_url.empty()) {
    plan.target = parse_target(o.scrape_url);
    if (plan.target.tls) {
      throw std::invalid_argument(
          "--scrape: https:// is not supported; scrape the server's plain-HTTP port "
          "(loadlab-server serves /metrics on both)");
    }
    plan.url = o.scrape_url;
    return plan;
  }
  if (options.urls.empty()) return std::nullopt;
  try {
    plan.target = parse_target(options.urls.front());
  } catch (const std::invalid_argument&) {
    return std::nullopt;  // the run itself reports a bad URL
  }
  if (plan.target.tls) {
    notes.push_back(
        "no scrape: the target is https:// and the scraper speaks plain HTTP; give --scrape "
        "http://HOST:PORT/metrics (loadlab-server serves /metrics on its plain port too)");
    return std::nullopt;
  }
  plan.target.path_template = "/metrics";
  plan.url = "http://" + plan.target.host_header + "/metrics";
  plan.needs_loadlab = true;
  return plan;
}

bool RunObserver::wanted(const RunOptions& options) {
  return options.observe.scrape || !options.observe.metrics_listen.empty();
}

RunObserver::RunObserver(const RunOptions& options)
    : wake_(AsyncSignal::create<&RunObserver::on_wake>(loop_.get(), this)),
      tick_(loop_.get()),
      interval_ms_(std::max(options.interval_ms, kMinScrapeIntervalMs)),
      target_rate_(options.rate) {
  if (auto plan = plan_scrape(options, notes_)) {
    plan->timeout_ms = std::min<std::uint64_t>(plan->timeout_ms, std::max(interval_ms_, 1000ul));
    scraper_.emplace(loop_.get(), std::move(*plan));
  }
  if (!options.observe.metrics_listen.empty()) {
    endpoint_.emplace(loop_.get(), parse_listen_address(options.observe.metrics_listen),
                      [this](std::string& out) { render(out); });
    std::cerr << "loadlab-loadgen: live metrics on http://" << endpoint_->bound() << "/metrics"
              << std::endl;
  }
  if (scraper_) {
    scraper_->scrape(
        TargetScraper::Phase::kBaseline, [] { return 0.0; },
        [this] {
          std::lock_guard lock(mutex_);
          baseline_done_ = true;
          changed_.notify_all();
        });
  } else {
    baseline_done_ = true;
  }
  // A run takes SIGINT and SIGTERM on a signalfd, with them blocked in every thread it starts
  // (engine.cpp). This thread starts before that: left open to them, it could be the one the
  // kernel hands a Ctrl-C to, whose default action ends the process without a report.
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  thread_ = std::thread([this] { loop_.run(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

RunObserver::~RunObserver() {
  {
    std::lock_guard lock(mutex_);
    stop_asked_ = true;
    engines_.clear();
  }
  wake_.send();
  thread_.join();
}

void RunObserver::starting(std::vector<const LiveMetrics*> engines) {
  std::unique_lock lock(mutex_);
  engines_ = std::move(engines);
  changed_.wait_for(lock, kMaxBaselineWait, [this] { return baseline_done_; });
}

void RunObserver::started(double start_unix, std::uint64_t start_ns) {
  {
    std::lock_guard lock(mutex_);
    start_ns_ = start_ns;
    start_unix_ = start_unix;
    start_asked_ = true;
  }
  wake_.send();
}

void RunObserver::finished(std::uint64_t responses) {
  std::unique_lock lock(mutex_);
  end_ns_ = uv_hrtime();
  // The endpoint shows the run's last figures from here on; the engines are about to go.
  final_text_.clear();
  std::vector<const LiveMetrics*> engines = engines_;
  LiveRun run{static_cast<double>(end_ns_ - start_ns_) / 1e9, target_rate_, false};
  render_live_metrics(final_text_, engines, run);
  expected_responses_ = responses;
  engines_.clear();
  finish_asked_ = true;
  lock.unlock();
  wake_.send();
  lock.lock();
  changed_.wait(lock, [this] { return final_done_; });
}

TargetScrape RunObserver::result() {
  std::lock_guard lock(mutex_);
  TargetScrape out = result_;
  for (const auto& note : notes_) out.notes.insert(out.notes.begin(), note);
  return out;
}

double RunObserver::since_start_s() const {
  return static_cast<double>(uv_hrtime() - loop_start_ns_) / 1e9;
}

void RunObserver::on_wake() {
  std::unique_lock lock(mutex_);
  if (stop_asked_) {
    lock.unlock();
    tick_.stop();
    scraper_.reset();
    endpoint_.reset();
    wake_.close();
    return;
  }
  if (start_asked_ && !ticking_ && !finishing_) {
    ticking_ = true;
    loop_start_ns_ = start_ns_;
    if (scraper_) {
      scraper_->set_start(start_unix_);
      tick_.start<&RunObserver::on_tick>(this, interval_ms_, interval_ms_);
    }
  }
  if (finish_asked_ && !finishing_) {
    finishing_ = true;
    tick_.stop();
    lock.unlock();
    if (!scraper_) return final_done();
    scraper_->cancel();  // a reading in progress gives way to the final one
    final_scrape();
  }
}

void RunObserver::final_scrape() {
  ++final_readings_;
  scraper_->scrape(
      TargetScraper::Phase::kFinal, [this] { return since_start_s(); },
      [this] {
        std::optional<std::uint64_t> expected;
        {
          std::lock_guard guard(mutex_);
          expected = expected_responses_;
        }
        if (final_readings_ >= kMaxFinalReadings || scraper_->final_settled(expected))
          return final_done();
        tick_.start<&RunObserver::final_scrape>(this, kFinalRepeatMs);
      });
}

void RunObserver::final_done() {
  std::lock_guard guard(mutex_);
  if (scraper_) result_ = scraper_->result();
  final_done_ = true;
  changed_.notify_all();
}

void RunObserver::on_tick() {
  if (scraper_ && !scraper_->busy())
    scraper_->scrape(
        TargetScraper::Phase::kDuring, [this] { return since_start_s(); }, nullptr);
}

void RunObserver::render(std::string& out) {
  std::lock_guard lock(mutex_);
  if (!final_text_.empty()) {
    out = final_text_;
    return;
  }
  LiveRun run;
  run.target_rate = target_rate_;
  if (start_asked_) {
    run.running = true;
    run.elapsed_s = static_cast<double>(uv_hrtime() - start_ns_) / 1e9;
  }
  render_live_metrics(out, engines_, run);
}

}  // namespace loadlab::loadgen
