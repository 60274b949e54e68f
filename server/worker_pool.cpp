#include "server/worker_pool.h"

#include <spdlog/spdlog.h>

#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "server/loop_context.h"
#include "server/metrics.h"
#include "server/prime_worker.h"
#include "server/response.h"

namespace loadlab::server {
namespace {

// A worker that dies within this long of starting is crash-looping: wait before the next start,
// doubling up to the maximum, so a broken worker costs a log line a few seconds, not a CPU.
constexpr std::uint64_t kStableAfterMs = 1000;
constexpr std::uint64_t kFirstBackoffMs = 100;
constexpr std::uint64_t kMaxBackoffMs = 5000;
// On shutdown, workers get this long to finish their job and exit before SIGKILL.
constexpr std::uint64_t kStopGraceMs = 2000;

// Jobs whose worst case is well under a millisecond (trial division of n < 2^32, or
// Miller-Rabin) may wait at a busy worker behind other such jobs, so that under load one pipe
// write carries several and the worker answers them with one read and one write. Anything
// that may take longer only goes to an idle worker, and nothing queues behind it.
bool is_cheap(const PrimeRequest& request) {
  return request.method == PrimeMethod::kMillerRabin || request.n < (std::uint64_t{1} << 32);
}

constexpr const char* kNoWorkers =
    "no /prime worker is running and none could be started; retry later";

// ESRCH: it has exited already, and its exit callback is on its way; nothing else can fail
// for a child we spawned, but say so if it does.
void kill_worker(Process& process, int pid) {
  const int status = process.kill(SIGKILL);
  if (status < 0 && status != UV_ESRCH) {
    spdlog::error("cannot kill /prime worker pid {}: {}", pid, uv_strerror(status));
  }
}

std::string millis(std::uint64_t ns) {
  std::string out;
  append_millis(out, ns);
  return out;
}

}  // namespace

// Dropped as soon as it is of no more use (its exit seen, or its start failed): its handles
// outlive it as long as libuv needs them (uv_handle.h), a write to it in flight included.
struct WorkerPool::Worker {
  Worker(WorkerPool& owner, std::size_t index)
      : pool(owner), slot(index), timer(owner.loop_.get()) {}

  void on_timeout() { pool.on_job_timeout(*this); }
  void on_exit(std::int64_t exit_status, int term_signal) {
    pool.on_worker_exit(*this, exit_status, term_signal);
  }
  void on_written(int status) { pool.on_jobs_written(*this, status); }
  uv_buf_t read_buffer() {
    return uv_buf_init(results.space(), static_cast<unsigned>(results.space_size()));
  }
  void on_read(ssize_t nread, const uv_buf_t*) {
    if (nread <= 0) return;  // EOF: the exit callback tells what happened
    results.commit(static_cast<std::size_t>(nread));
    ResultFrame frames[kMaxFramesPerWorker];
    const std::size_t count = results.take(frames);
    for (std::size_t i = 0; i < count; ++i) pool.on_result(*this, frames[i]);
    if (results.failed()) pool.on_bad_frame(*this);
    if (count > 0) pool.dispatch();
  }
  void kill() { kill_worker(process, pid); }

  WorkerPool& pool;
  std::size_t slot;
  int pid = 0;
  bool killed = false;  // SIGKILLed after a timeout: takes no job, its exit is expected
  std::uint64_t started_ms = 0;
  std::deque<Job> jobs;  // handed over, answered in this order; the first is being computed
  JobFrame outgoing[kMaxFramesPerWorker] = {};
  std::size_t outgoing_count = 0;
  // A worker can answer before libuv has run the write's callback; the write request and
  // outgoing may not be reused (for the next jobs) until then, or the stream's write queue is
  // corrupted.
  bool writing = false;
  FrameReader<ResultFrame> results;
  Timer timer;  // --job-timeout-ms of the job being computed
  // Last: closed first when the worker is dropped, before the buffers above are freed.
  Pipe to_worker;
  Pipe from_worker;
  Process process;

  bool can_take_jobs() const {
    return !killed && !writing && !results.failed() && jobs.size() < kMaxFramesPerWorker;
  }
};

WorkerPool::WorkerPool(const ServerConfig& config)
    : config_(config),
      inbox_signal_(AsyncSignal::create<&WorkerPool::on_inbox>(loop_.get(), this)),
      stop_signal_(AsyncSignal::create<&WorkerPool::on_stop>(loop_.get(), this)),
      respawn_timer_(loop_.get()),
      workers_(config.workers),
      respawn_due_ms_(config.workers, 0),
      respawn_backoff_ms_(config.workers, 0),
      ever_started_(config.workers, false) {
  char path[4096];
  std::size_t length = sizeof path;
  uv_check(uv_exepath(path, &length), "uv_exepath");
  executable_.assign(path, length);
  server_pid_ = std::to_string(uv_os_getpid());
  for (std::size_t slot = 0; slot < workers_.size(); ++slot) spawn(slot);
  if (alive_.load() == 0) throw std::runtime_error("no /prime worker could be started");
  thread_ = std::thread([this] { loop_.run(); });
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::stop() {
  if (stopped_) return;
  stopped_ = true;
  stop_signal_.send();
  thread_.join();
}

void WorkerPool::spawn(std::size_t slot) {
  auto worker = std::make_unique<Worker>(*this, slot);
  Worker* w = worker.get();
  int status = w->to_worker.init(loop_.get());
  if (status == 0) status = w->from_worker.init(loop_.get());
  if (status < 0) {
    on_spawn_failed(*w, status);
    return;  // dropping it closes what was opened
  }

  char* args[] = {executable_.data(), const_cast<char*>(kPrimeWorkerFlag), server_pid_.data(),
                  nullptr};
  uv_stdio_container_t stdio[3];
  stdio[0].flags =
      static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);  // the worker reads jobs
  stdio[0].data.stream = w->to_worker.get();
  stdio[1].flags =
      static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);  // and writes results
  stdio[1].data.stream = w->from_worker.get();
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  uv_process_options_t options{};
  options.file = executable_.c_str();
  options.args = args;
  options.stdio = stdio;
  options.stdio_count = 3;
  status = w->process.spawn<&Worker::on_exit>(loop_.get(), w, options);
  if (status < 0) {
    on_spawn_failed(*w, status);
    return;  // dropping it closes what was opened
  }
  cannot_spawn_.store(false);
  if (ever_started_[slot]) restarts_.fetch_add(1);
  ever_started_[slot] = true;
  w->pid = w->process.pid();
  w->started_ms = uv_now(loop_.get());
  status = w->from_worker.read_start<&Worker::read_buffer, &Worker::on_read>(w);
  if (status < 0) {
    // As if its pipe broke: the worker can never be heard, so it is killed, and its exit
    // is handled like any unexpected death (replaced, with the crash-loop back-off).
    spdlog::error("/prime worker pid {}: cannot read its pipe: {}", w->pid, uv_strerror(status));
    w->kill();
  }
  workers_[slot] = std::move(worker);
  alive_.fetch_add(1);
  spdlog::debug("/prime worker {} started (pid {})", slot, w->pid);
}

void WorkerPool::on_respawn_timer() {
  const std::uint64_t now = uv_now(loop_.get());
  if (stopping_) {  // the stop grace period is over
    for (auto& worker : workers_) {
      if (worker) worker->kill();
    }
    return;
  }
  std::uint64_t next = 0;
  for (std::size_t slot = 0; slot < respawn_due_ms_.size(); ++slot) {
    const std::uint64_t due = respawn_due_ms_[slot];
    if (due == 0) continue;
    if (due <= now) {
      respawn_due_ms_[slot] = 0;
      spawn(slot);
    } else if (next == 0 || due < next) {
      next = due;
    }
  }
  if (next != 0) respawn_timer_.start<&WorkerPool::on_respawn_timer>(this, next - now);
  dispatch();
}

void WorkerPool::submit(LoopContext& loop, ExchangeRef ref, const PrimeRequest& request) {
  const auto reject = [&](const std::string& reason) {
    jobs_rejected_.fetch_add(1);
    answer_error(Job{0, &loop, ref, request, 0}, 503, reason);
  };
  // A queued job would wait for ever: no worker runs and none can be started.
  if (no_worker_can_run()) return reject(kNoWorkers);
  if (queued_.load() >= config_.max_queue) {
    return reject("the /prime queue is full (" + std::to_string(config_.max_queue) +
                  " jobs waiting); retry later");
  }
  queued_.fetch_add(1);
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(Job{0, &loop, ref, request, uv_hrtime()});
  }
  inbox_signal_.send();
}

void WorkerPool::cancel(LoopContext& loop, std::uint64_t connection_id) {
  {
    std::lock_guard lock(inbox_mutex_);
    cancels_.push_back(Cancel{&loop, connection_id});
  }
  inbox_signal_.send();
}

void WorkerPool::on_inbox() {
  std::deque<Job> arrived;
  std::vector<Cancel> cancels;
  {
    std::lock_guard lock(inbox_mutex_);
    arrived.swap(inbox_);
    cancels.swap(
        cancels_);  // every job a cancel concerns was submitted before it: in `arrived` or earlier
  }
  for (Job& job : arrived) {
    job.id = next_job_id_++;
    if (stopping_) {
      queued_.fetch_sub(1);
      answer_error(job, 503, "the server is shutting down");
    } else {
      queue_.push_back(job);
    }
  }
  for (const Cancel& cancel : cancels) apply_cancel(cancel);
  fail_queue_without_workers();  // submitted while the last worker was failing to start
  dispatch();
}

void WorkerPool::apply_cancel(const Cancel& cancel) {
  const auto abandoned = [&cancel](const Job& job) {
    return job.origin == cancel.origin && job.ref.connection_id == cancel.connection_id;
  };
  // Only jobs still waiting: one a worker has started runs to its end (bounded by
  // --job-timeout-ms) and its result is dropped by the loop; the worker is left alone.
  const auto dropped = std::erase_if(queue_, abandoned);
  queued_.fetch_sub(dropped);
  jobs_cancelled_.fetch_add(dropped);
}

WorkerPool::Worker* WorkerPool::pick_worker(const Job& job) {
  Worker* least_loaded = nullptr;
  for (auto& slot : workers_) {
    if (!slot || !slot->can_take_jobs()) continue;
    Worker& worker = *slot;
    if (worker.jobs.empty()) return &worker;
    // A costly job only ever runs alone, so the first job tells whether all are cheap.
    if (!is_cheap(job.request) || !is_cheap(worker.jobs.front().request)) continue;
    if (least_loaded == nullptr || worker.jobs.size() < least_loaded->jobs.size())
      least_loaded = &worker;
  }
  return least_loaded;
}

void WorkerPool::dispatch() {
  if (stopping_) return;
  // Strictly FIFO: when the oldest job finds no worker, the ones behind it wait too.
  while (!queue_.empty()) {
    Worker* worker = pick_worker(queue_.front());
    if (worker == nullptr) break;
    const Job& job = queue_.front();
    if (worker->jobs.empty()) {
      busy_.fetch_add(1);
      worker->timer.start<&Worker::on_timeout>(worker, config_.job_timeout_ms);
    }
    worker->outgoing[worker->outgoing_count++] =
        JobFrame{job.id, job.request.n, job.request.method == PrimeMethod::kMillerRabin ? 1u : 0u};
    worker->jobs.push_back(job);
    queue_.pop_front();
    queued_.fetch_sub(1);
    in_flight_.fetch_add(1);
  }
  for (auto& slot : workers_) {
    if (slot && !slot->writing && slot->outgoing_count > 0) send_jobs(*slot);
  }
}

void WorkerPool::send_jobs(Worker& worker) {
  worker.writing = true;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(worker.outgoing),
                             static_cast<unsigned>(worker.outgoing_count * sizeof(JobFrame)));
  const int status = worker.to_worker.write<&Worker::on_written>(&worker, &buf, 1);
  if (status < 0) on_jobs_written(worker, status);  // refused at once: the same as failing later
}

void WorkerPool::on_jobs_written(Worker& worker, int status) {
  worker.writing = false;
  worker.outgoing_count = 0;
  // A failed write means the worker is gone (or its pipe is unusable); killing it makes sure,
  // and its exit callback answers the jobs it held.
  if (status < 0 && status != UV_ECANCELED) {
    worker.kill();
  } else if (status == 0) {
    dispatch();  // it may take more jobs only now
  }
}

void WorkerPool::on_bad_frame(Worker& worker) {
  // As if its pipe broke: nothing more it says can be trusted, so it is killed, and its exit
  // is handled like any unexpected death (its jobs answered or requeued, replaced).
  spdlog::error("/prime worker pid {}: invalid result frame; killing it", worker.pid);
  worker.from_worker.read_stop();
  worker.kill();
}

void WorkerPool::on_spawn_failed(Worker& worker, int status) {
  spawn_failures_.fetch_add(1);
  spdlog::error("cannot start a /prime worker: {}", uv_strerror(status));
  const std::size_t slot = worker.slot;
  cannot_spawn_.store(true);
  fail_queue_without_workers();
  respawn_backoff_ms_[slot] =
      std::min(kMaxBackoffMs, std::max(kFirstBackoffMs, respawn_backoff_ms_[slot] * 2));
  respawn_due_ms_[slot] = uv_now(loop_.get()) + respawn_backoff_ms_[slot];
  respawn_timer_.start<&WorkerPool::on_respawn_timer>(this, respawn_backoff_ms_[slot]);
}

void WorkerPool::on_result(Worker& worker, const ResultFrame& result) {
  // Not the job it holds: that one timed out and was answered already.
  if (worker.jobs.empty() || worker.jobs.front().id != result.job_id) return;
  const Job job = worker.jobs.front();
  worker.jobs.pop_front();
  in_flight_.fetch_sub(1);
  if (worker.jobs.empty()) {
    worker.timer.stop();
    busy_.fetch_sub(1);
  } else {
    worker.timer.start<&Worker::on_timeout>(&worker,
                                            config_.job_timeout_ms);  // the next one's turn
  }
  jobs_ok_.fetch_add(1);
  const std::uint64_t queue_ns =
      result.started_ns > job.submitted_ns ? result.started_ns - job.submitted_ns : 0;
  std::string body =
      "{\"n\":" + std::to_string(job.request.n) +
      ",\"prime\":" + (result.prime != 0 ? "true" : "false") +
      ",\"divisor\":" + (result.divisor != 0 ? std::to_string(result.divisor) : "null") +
      ",\"method\":\"" + std::string(prime_method_name(job.request.method)) +
      "\",\"worker_pid\":" + std::to_string(worker.pid) + ",\"queue_ms\":" + millis(queue_ns) +
      ",\"compute_ms\":" + millis(result.compute_ns) + "}\n";
  std::string headers = "Server-Timing: queue;dur=" + millis(queue_ns) +
                        ", compute;dur=" + millis(result.compute_ns) + "\r\n";
  answer(job, 200, std::move(body), std::move(headers));
}

WorkerPool::Job WorkerPool::take_computing(Worker& worker) {
  const Job computing = worker.jobs.front();
  worker.jobs.pop_front();
  in_flight_.fetch_sub(1);
  busy_.fetch_sub(1);
  // The jobs behind it were never started: they go back to the front of the queue, in order,
  // for the next worker (or fail if the server is stopping).
  for (auto job = worker.jobs.rbegin(); job != worker.jobs.rend(); ++job) {
    in_flight_.fetch_sub(1);
    if (stopping_) {
      answer_error(*job, 503, "the server is shutting down");
      continue;
    }
    queued_.fetch_add(1);
    queue_.push_front(*job);
  }
  worker.jobs.clear();
  return computing;
}

void WorkerPool::on_job_timeout(Worker& worker) {
  if (worker.jobs.empty()) return;
  const Job job = take_computing(worker);
  worker.killed = true;
  jobs_timeout_.fetch_add(1);
  answer_error(job, 504,
               "n=" + std::to_string(job.request.n) + " took longer than --job-timeout-ms=" +
                   std::to_string(config_.job_timeout_ms) + "; its worker (pid " +
                   std::to_string(worker.pid) + ") was killed and is being replaced");
  spdlog::warn("/prime job n={} timed out; killing worker pid {}", job.request.n, worker.pid);
  worker.kill();
  dispatch();
}

void WorkerPool::on_worker_exit(Worker& worker, std::int64_t exit_status, int term_signal) {
  alive_.fetch_sub(1);
  worker.timer.stop();
  if (!worker.jobs.empty()) {
    jobs_worker_died_.fetch_add(1);
    const Job job = take_computing(worker);
    const std::string how = term_signal != 0
                                ? std::string("killed by signal ") + strsignal(term_signal)
                                : "exited with status " + std::to_string(exit_status);
    answer_error(job, 502,
                 "the worker testing n=" + std::to_string(job.request.n) + " (pid " +
                     std::to_string(worker.pid) + ") " + how + "; it is being replaced");
  }
  if (!worker.killed && !stopping_) {
    spdlog::warn("/prime worker pid {} {} unexpectedly", worker.pid,
                 term_signal != 0 ? std::string("died of ") + strsignal(term_signal) : "exited");
  }
  const std::size_t slot = worker.slot;
  const std::uint64_t lived = uv_now(loop_.get()) - worker.started_ms;
  const bool killed = worker.killed;
  workers_[slot].reset();  // from its own exit callback: its handles outlive it (uv_handle.h)
  if (stopping_) return;
  if (lived >= kStableAfterMs || killed) {
    respawn_backoff_ms_[slot] = 0;
    spawn(slot);
  } else {
    respawn_backoff_ms_[slot] =
        std::min(kMaxBackoffMs, std::max(kFirstBackoffMs, respawn_backoff_ms_[slot] * 2));
    respawn_due_ms_[slot] = uv_now(loop_.get()) + respawn_backoff_ms_[slot];
    respawn_timer_.start<&WorkerPool::on_respawn_timer>(this, respawn_backoff_ms_[slot]);
  }
  fail_queue_without_workers();
  dispatch();  // the requeued jobs, if any
}

void WorkerPool::fail_queue_without_workers() {
  if (!no_worker_can_run()) return;
  for (const Job& job : queue_) {
    queued_.fetch_sub(1);
    jobs_rejected_.fetch_add(1);
    answer_error(job, 503, kNoWorkers);
  }
  queue_.clear();
}

void WorkerPool::on_stop() {
  stopping_ = true;
  on_inbox();  // answers whatever arrived meanwhile
  for (Job& job : queue_) {
    queued_.fetch_sub(1);
    answer_error(job, 503, "the server is shutting down");
  }
  queue_.clear();
  // Closing a worker's stdin lets it finish its job and exit on EOF.
  for (auto& worker : workers_) {
    if (worker) worker->to_worker.close();
  }
  respawn_timer_.start<&WorkerPool::on_respawn_timer>(this, kStopGraceMs);
  respawn_timer_.unref();  // only the workers themselves keep the loop running now
  inbox_signal_.close();
  stop_signal_.close();
}

void WorkerPool::answer(const Job& job, int status, std::string body, std::string headers) {
  job.origin->post(LoopContext::Completion{job.ref, status, std::move(body), std::move(headers)});
}

void WorkerPool::answer_error(const Job& job, int status, const std::string& message) {
  std::string body;
  append_error_body(body, status, message);
  answer(job, status, std::move(body), status == 503 ? "Retry-After: 1\r\n" : "");
}

void WorkerPool::append_prometheus(std::string& out) const {
  const auto sample = [&out](const char* name, const char* type, const char* help,
                             std::uint64_t value) {
    append_help(out, name, type, help);
    append_sample(out, name, value);
  };
  sample("loadlab_prime_workers", "gauge", "Worker processes alive.", alive_.load());
  sample("loadlab_prime_workers_busy", "gauge", "Workers computing a job.", busy_.load());
  sample("loadlab_prime_queue_depth", "gauge", "Jobs waiting for a worker.", queued_.load());
  sample("loadlab_prime_jobs_in_flight", "gauge", "Jobs handed to a worker, not answered yet.",
         in_flight_.load());
  out.append(
      "# HELP loadlab_prime_jobs_total /prime jobs by outcome.\n# TYPE loadlab_prime_jobs_total "
      "counter\n");
  for (const auto& [outcome, value] :
       {std::pair{"ok", jobs_ok_.load()}, std::pair{"timeout", jobs_timeout_.load()},
        std::pair{"worker_died", jobs_worker_died_.load()},
        std::pair{"rejected", jobs_rejected_.load()},
        std::pair{"cancelled", jobs_cancelled_.load()}}) {
    out.append("loadlab_prime_jobs_total{outcome=\"").append(outcome).append("\"} ");
    append_uint(out, value);
    out.append("\n");
  }
  sample("loadlab_prime_worker_restarts_total", "counter",
         "Workers replaced after dying or being killed (one per replacement started, not per "
         "attempt).",
         restarts_.load());
  sample("loadlab_prime_worker_spawn_failures_total", "counter",
         "Attempts to start a worker that failed (retried with back-off).", spawn_failures_.load());
  sample("loadlab_prime_job_timeouts_total", "counter", "Jobs over --job-timeout-ms (504).",
         jobs_timeout_.load());
}

}  // namespace loadlab::server
