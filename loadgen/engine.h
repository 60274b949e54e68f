// Runs a load: one EngineThread per -t, each with its own uv loop and its share of the
// connections, all claiming requests from one LoadPlan. Closed loop (the default): a
// connection starts its next request as soon as the last one is done. Open loop (--rate):
// requests are due on a fixed schedule; a due request waits in a backlog when every
// connection is busy, and its latency still counts from when it was due.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "common/tls_session_cache.h"
#include "common/uv_handle.h"
#include "loadgen/client_connection.h"
#include "loadgen/live_metrics.h"
#include "loadgen/load_plan.h"
#include "loadgen/precise_timer.h"
#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

class EngineThread {
 public:
  // `part`: this thread's place among all the run's threads (those of every shard).
  // Open loop: it sends the run's slots part.index, part.index + part.count, ..., so the threads
  // of all shards interleave their sends instead of firing together. Closed loop with
  // --concurrency-stages: its share of the connections the stages ask for.
  EngineThread(LoadPlan& plan, unsigned connections, std::uint64_t seed, ShardSpec part);
  EngineThread(const EngineThread&) = delete;
  EngineThread& operator=(const EngineThread&) = delete;

  // A settle: what completes in the first `settle_ns` of the run goes to figures of its own,
  // thrown away; the run's figures start after it. Call before run().
  void set_settle(std::uint64_t settle_ns) { settle_ns_ = settle_ns; }
  // Who reads the live figures: the progress line (live_responses() and the rest) and
  // --metrics-listen (live()). Nobody reading, a response does not update them (issue 13:
  // the instructions per request of a plain run).
  void set_live_readers(bool progress, bool metrics) {
    progress_ = progress;
    live_metrics_ = metrics;
  }
  void run();
  // The figures being recorded: the settle's while it lasts, then the run's.
  RunStats& stats() { return settling_ ? settle_stats_ : stats_; }
  // The run's own figures (after any settle); read after run().
  RunStats& measured() { return stats_; }
  // Thread-safe: the grace is over; requests in flight are cancelled (counted apart, not as
  // errors), every connection closes, and run() returns.
  void cancel() { cancel_signal_.send(); }
  // When the last response or error was recorded (uv_hrtime; 0: none); a cancel is the
  // loadgen's own act and does not count. Read after run().
  std::uint64_t last_event_ns() const { return last_event_ns_; }

  // Live figures for the progress line, read from the main thread.
  std::uint64_t live_responses() const { return live_responses_.load(std::memory_order_relaxed); }
  std::uint64_t live_errors() const { return live_errors_.load(std::memory_order_relaxed); }
  std::uint64_t live_p99_us() const { return live_p99_us_.load(std::memory_order_relaxed); }
  // Live figures for --metrics-listen (loadgen/live_metrics.h), read from its thread.
  const LiveMetrics& live() const { return live_; }

  // --- for this thread's connections ---
  uv_loop_t* loop() { return loop_.get(); }
  const LoadPlan& plan() const { return plan_; }
  const RunOptions& options() const { return plan_.options(); }
  bool head_requests() const { return plan_.head_requests(); }
  std::mt19937_64& random() { return random_; }
  // https://: sessions to resume on reconnects, this thread's own (no locks).
  TlsSessionCache& tls_sessions() { return tls_sessions_; }
  uv_buf_t read_buffer() {
    return uv_buf_init(read_buffer_.data(), static_cast<unsigned>(read_buffer_.size()));
  }
  void on_idle(ClientConnection& connection);
  // A connect started / ended (its callback ran): the first connections start as slots free up.
  void connect_started() { ++pending_connects_; }
  void connect_ended();
  void note_send(std::uint64_t intended_ns, std::uint64_t sent_ns);
  void record_response(std::size_t url, int status, std::uint64_t latency_us,
                       std::uint64_t service_us, std::uint64_t now_ns);
  void record_error(std::size_t url, ErrorKind kind, std::uint64_t now_ns);
  void record_cancelled(std::size_t url) {
    stats_.record_cancelled(plan_.url_row(url));
    live_.cancelled.add();
  }

 private:
  struct DueRequest {
    std::uint64_t index;
    std::uint64_t intended_ns;
  };
  void on_tick();
  bool next_slot();
  void on_ramp();
  unsigned allowed_connections(std::uint64_t now_ns) const;
  void finish_parked();
  void on_cancel();
  void start_connections();
  void end_of_schedule();
  void publish(std::uint64_t now_ns);
  void publish_backlog() {
    live_.backlog.set(backlog_.size());
    live_.unsent.set(stats_.unsent);
  }
  void end_settle() { settling_ = false; }
  // Where the figures' time axis starts: the run's start, or the settle's end after it.
  std::uint64_t origin_ns() const { return plan_.start_ns() + (settling_ ? 0 : settle_ns_); }
  std::uint64_t since_origin(std::uint64_t now_ns) const {
    return now_ns > origin_ns() ? now_ns - origin_ns() : 0;
  }

  LoadPlan& plan_;
  EventLoop loop_;  // first, so it outlives every handle below
  RunStats stats_;
  RunStats settle_stats_;
  std::uint64_t settle_ns_ = 0;
  bool settling_ = false;
  std::mt19937_64 random_;
  std::vector<char> read_buffer_;
  TlsSessionCache tls_sessions_;
  std::vector<std::unique_ptr<ClientConnection>> connections_;
  AsyncSignal cancel_signal_;
  Timer settle_end_;
  // Closed loop: connections start while fewer than kMaxPendingConnects connects are in
  // progress, the rest as those complete. Thousands of connects in one loop turn would
  // overrun the server's accept queue, and each connect's callback would wait behind them all
  // (its timeout running) before the loop looked at any I/O.
  Timer start_batch_;
  std::size_t started_ = 0;
  std::size_t pending_connects_ = 0;
  std::uint64_t last_event_ns_ = 0;

  ShardSpec part_;
  // Closed loop with --concurrency-stages: connections held back while the stages ask for
  // fewer than are open, and the timer that releases them (kRampEveryMs).
  Timer ramp_;
  std::vector<ClientConnection*> parked_;

  // Open loop.
  PreciseTimer tick_;
  bool open_ = false;
  std::uint64_t slot_ = 0;  // the run's slot this thread sends next; its time is computed
  std::uint64_t next_due_ns_ = 0;
  bool schedule_done_ = false;
  std::deque<DueRequest> backlog_;
  std::vector<ClientConnection*> idle_;  // a stack: the most recently idle goes first

  bool progress_ = true;      // set_live_readers
  bool live_metrics_ = true;  // set_live_readers
  std::uint64_t last_publish_ns_ = 0;
  std::atomic<std::uint64_t> live_responses_{0};
  std::atomic<std::uint64_t> live_errors_{0};
  std::atomic<std::uint64_t> live_p99_us_{0};
  LiveMetrics live_;
};

// Watches a run from a thread of its own (loadgen/run_observer.h: the target's scrape and
// --metrics-listen). run_load calls these from its own thread, in this order.
class RunWatcher {
 public:
  virtual ~RunWatcher() = default;
  // Before the start: the engines' live figures (valid until finished()); may take a moment
  // (a baseline scrape) before the first request goes.
  virtual void starting(std::vector<const LiveMetrics*> engines) = 0;
  virtual void started(double start_unix, std::uint64_t start_ns) = 0;
  // Every engine is done, having received `responses`; the live figures are about to go.
  virtual void finished(std::uint64_t responses) = 0;
};

struct RunHooks {
  bool progress = false;         // a live line on stderr (a terminal) once a second
  bool stop_on_signals = false;  // SIGINT/SIGTERM: stop sending, wait --grace for in-flight, report
  RunWatcher* watcher = nullptr;
  // The load runs this long before its figures start (part of -d): connections open, queues
  // fill, and only what completes after it is measured. The capacity search's settle per step.
  std::uint64_t settle_ms = 0;
};

// Runs the whole load described by `options` and returns the merged measurements. The run's
// duration is from the start to its last response or error, or to the -d deadline or the stop
// (Ctrl-C) if that is later; requests still in flight --grace after the deadline or the stop
// are cancelled.
// Throws std::invalid_argument for bad URLs or templates (before any traffic).
RunStats run_load(const RunOptions& options, const RunHooks& hooks = {});

}  // namespace loadlab::loadgen
