// The /prime worker pool: forked worker processes supervised from a thread of their own.
//
// Why this is safe in a multi-threaded server: workers are started with uv_spawn, which forks
// and immediately execs the server's own binary in --prime-worker mode; between fork and exec
// the child only calls async-signal-safe functions, so no lock held by another thread can be
// inherited in a broken state. libuv's process handles reap every child (exit callback), so
// none is left a zombie, and a crash or a `kill -9` from outside is seen at once.
//
// Event loops hand jobs over through a mutex-protected inbox and a uv_async; results go back to
// the loop that asked, through that loop's own mailbox (LoopContext::post).
//
// Under load, cheap jobs are pipelined: a busy worker may hold up to kMaxFramesPerWorker of
// them, sent in one write and answered in one, so the per-job cost is not two wake-ups and
// four system calls. Should a worker die or time out, only the job it was computing fails;
// those behind it were not started and go back to the front of the queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/uv_handle.h"
#include "common/uv_process.h"
#include "common/uv_stream.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/prime_service.h"
#include "server/prime_worker.h"

namespace loadlab::server {

class WorkerPool final : public PrimeService, public MetricsSource {
 public:
  // Starts the pool thread and the workers. Throws std::runtime_error on failure.
  explicit WorkerPool(const ServerConfig& config);
  ~WorkerPool() override;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Workers finish the job they hold, exit, and are reaped; queued jobs fail. Idempotent.
  void stop();

  void submit(LoopContext& loop, ExchangeRef ref, const PrimeRequest& request) override;
  void cancel(LoopContext& loop, std::uint64_t connection_id) override;
  void append_prometheus(std::string& out) const override;

  struct Job {
    std::uint64_t id = 0;
    LoopContext* origin = nullptr;
    ExchangeRef ref{};
    PrimeRequest request{};
    std::uint64_t submitted_ns = 0;
  };
  struct Cancel {
    LoopContext* origin;
    std::uint64_t connection_id;
  };
  struct Worker;

 private:
  friend struct Worker;
  void on_inbox();
  void on_stop();
  void spawn(std::size_t slot);
  void on_spawn_failed(Worker& worker, int status);
  void on_jobs_written(Worker& worker, int status);
  void on_respawn_timer();
  void dispatch();
  Worker* pick_worker(const Job& job);
  void send_jobs(Worker& worker);
  void on_result(Worker& worker, const ResultFrame& result);
  void on_bad_frame(Worker& worker);
  // Takes the job a worker was computing (returned) and requeues those behind it.
  Job take_computing(Worker& worker);
  void fail_queue_without_workers();
  bool no_worker_can_run() const { return alive_.load() == 0 && cannot_spawn_.load(); }
  void apply_cancel(const Cancel& cancel);
  void on_job_timeout(Worker& worker);
  void on_worker_exit(Worker& worker, std::int64_t exit_status, int term_signal);
  void answer(const Job& job, int status, std::string body, std::string headers);
  void answer_error(const Job& job, int status, const std::string& message);

  const ServerConfig& config_;
  std::string executable_;
  std::string server_pid_;  // passed to each worker, which dies with this process
  EventLoop loop_;          // first: outlives every handle below
  AsyncSignal inbox_signal_;
  AsyncSignal stop_signal_;
  Timer respawn_timer_;

  std::mutex inbox_mutex_;
  std::deque<Job> inbox_;        // submitted by loops, not yet taken by the pool thread
  std::vector<Cancel> cancels_;  // connections gone, after the jobs they submitted

  // Pool thread only.
  std::deque<Job> queue_;                         // FIFO, waiting for an idle worker
  std::vector<std::unique_ptr<Worker>> workers_;  // one slot per --workers; null while respawning
  std::vector<std::uint64_t> respawn_due_ms_;  // per slot: loop time of the next start, 0 if none
  std::vector<std::uint64_t> respawn_backoff_ms_;  // per slot: grows while a worker keeps crashing
  std::vector<bool> ever_started_;                 // per slot: a new worker there is a replacement
  bool stopping_ = false;
  std::uint64_t next_job_id_ = 1;

  // Read by /metrics from any thread.
  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> alive_{0};
  std::atomic<std::uint64_t> busy_{0};
  std::atomic<std::uint64_t> in_flight_{0};
  std::atomic<bool> cannot_spawn_{false};  // the last attempt to start a worker failed
  std::atomic<std::uint64_t> jobs_ok_{0};
  std::atomic<std::uint64_t> jobs_timeout_{0};
  std::atomic<std::uint64_t> jobs_worker_died_{0};
  std::atomic<std::uint64_t> jobs_rejected_{0};
  std::atomic<std::uint64_t> jobs_cancelled_{0};
  std::atomic<std::uint64_t> restarts_{0};        // workers replaced (one per replacement started)
  std::atomic<std::uint64_t> spawn_failures_{0};  // attempts to start a worker that failed

  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace loadlab::server
