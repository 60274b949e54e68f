#include "loadgen/engine.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "common/busy_poll.h"
#include "loadgen/start_at.h"

namespace loadlab::loadgen {
namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;
// Connects in progress at once while a closed loop starts its connections (start_batch_).
constexpr std::size_t kMaxPendingConnects = 128;
constexpr std::uint64_t kProgressEveryNs = 1'000'000'000;
// Open loop: due requests waiting for a connection, at most (16 bytes each). A target this far
// behind will never catch up; later ones are counted as unsent rather than queued.
constexpr std::size_t kMaxBacklog = 1'000'000;
// --concurrency-stages: how often the number of connections is matched to the stages. A
// connection over the count is held back as its request ends, so the count follows the
// stages within this and one response time.
constexpr std::uint64_t kRampEveryMs = 10;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A descriptor this file opens and closes (the engines' done counter, the signal fd).
class OwnedFd {
 public:
  explicit OwnedFd(int fd, const char* what) : fd_(fd) {
    if (fd_ < 0) throw std::runtime_error(std::string(what) + " failed");
  }
  ~OwnedFd() { ::close(fd_); }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::uint64_t read_counter(int fd) {
  std::uint64_t value = 0;
  return ::read(fd, &value, sizeof value) == sizeof value ? value : 0;
}

// Sleeps until `when_ns` (uv_hrtime), to the tens of microseconds; false if a stop signal came
// first (`signal_fd`, -1 for none).
bool wait_until(std::uint64_t when_ns, int signal_fd) {
  for (;;) {
    const std::uint64_t now = uv_hrtime();
    if (now >= when_ns) return true;
    const std::uint64_t left_ms = (when_ns - now) / 1'000'000;
    if (left_ms < 5) break;
    pollfd fd{signal_fd, POLLIN, 0};
    if (poll(&fd, signal_fd >= 0 ? 1 : 0,
             static_cast<int>(std::min<std::uint64_t>(left_ms - 2, 60'000))) > 0)
      return false;
  }
  // The last milliseconds on the same clock as uv_hrtime (CLOCK_MONOTONIC), not poll's.
  const timespec at{static_cast<time_t>(when_ns / 1'000'000'000),
                    static_cast<long>(when_ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
  }
  return true;
}

void print_progress(const std::vector<std::unique_ptr<EngineThread>>& engines,
                    const RunOptions& options, double elapsed_s, bool final_line) {
  std::uint64_t done = 0, errors = 0, p99 = 0;
  for (const auto& engine : engines) {
    done += engine->live_responses();
    errors += engine->live_errors();
    p99 = std::max(p99, engine->live_p99_us());
  }
  char total[32] = "";
  if (options.requests)
    std::snprintf(total, sizeof total, "/%llu", static_cast<unsigned long long>(*options.requests));
  std::fprintf(stderr, "\r  %6.1fs  %llu%s done  %.0f req/s  %llu errors  p99 so far %.2fms   %s",
               elapsed_s, static_cast<unsigned long long>(done + errors), total,
               elapsed_s > 0 ? static_cast<double>(done + errors) / elapsed_s : 0.0,
               static_cast<unsigned long long>(errors), static_cast<double>(p99) / 1000.0,
               final_line ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace

EngineThread::EngineThread(LoadPlan& plan, unsigned connections, std::uint64_t seed, ShardSpec part)
    : plan_(plan),
      random_(seed),
      read_buffer_(kReadBufferBytes),
      cancel_signal_(AsyncSignal::create<&EngineThread::on_cancel>(loop_.get(), this)),
      settle_end_(loop_.get()),
      start_batch_(loop_.get()),
      part_(part),
      ramp_(loop_.get()),
      tick_(loop_.get()),
      open_(plan.open_loop()) {
  cancel_signal_.unref();
  stats_.interval_ms = plan.options().interval_ms;
  stats_.set_urls(plan.url_rows());
  settle_stats_.interval_ms = plan.options().interval_ms;
  settle_stats_.set_urls(plan.url_rows());
  for (unsigned i = 0; i < connections; ++i)
    connections_.push_back(std::make_unique<ClientConnection>(*this));
}

void EngineThread::start_connections() {
  const bool staged = !options().concurrency_stages.empty();
  while (started_ < connections_.size() && pending_connects_ < kMaxPendingConnects) {
    if (staged && started_ - parked_.size() >= allowed_connections(uv_hrtime())) return;
    on_idle(*connections_[started_++]);
  }
}

unsigned EngineThread::allowed_connections(std::uint64_t now_ns) const {
  const double since_start_s =
      now_ns > plan_.start_ns() ? static_cast<double>(now_ns - plan_.start_ns()) / 1e9 : 0;
  const auto run_wide = static_cast<std::uint64_t>(
      std::floor(stage_value_at(options().concurrency_stages, since_start_s)));
  // The shard's share of the run's count, then this thread's of the shard's, each dealt round
  // robin so that the shares add up to the count.
  const std::uint64_t shard = share_of(run_wide, plan_.shard());
  const unsigned threads = part_.count / plan_.shard().count;
  const unsigned thread = (part_.index - plan_.shard().index) / plan_.shard().count;
  return static_cast<unsigned>(share_of(shard, ShardSpec{thread, threads}));
}

void EngineThread::on_ramp() {
  const std::uint64_t now = uv_hrtime();
  if (plan_.cut_short(now)) {
    ramp_.stop();
    finish_parked();
    return;
  }
  const unsigned allowed = allowed_connections(now);
  while (!parked_.empty() && started_ - parked_.size() < allowed) {
    ClientConnection* connection = parked_.back();
    parked_.pop_back();
    on_idle(*connection);
  }
  start_connections();
}

void EngineThread::finish_parked() {
  for (ClientConnection* connection : parked_) connection->finish();
  parked_.clear();
  // Never started (the stages did not reach them): they hold a timer handle all the same.
  while (started_ < connections_.size()) connections_[started_++]->finish();
}

void EngineThread::connect_ended() {
  --pending_connects_;
  // From the next loop turn: this runs inside a connection's callback.
  if (started_ < connections_.size() && !start_batch_.active())
    start_batch_.start<&EngineThread::start_connections>(this, 0);
}

void EngineThread::run() {
  if (settle_ns_ > 0) {
    settling_ = true;
    uv_update_time(loop_.get());
    const std::uint64_t end_ns = plan_.start_ns() + settle_ns_, now = uv_hrtime();
    settle_end_.start<&EngineThread::end_settle>(
        this, end_ns > now ? (end_ns - now + 999'999) / 1'000'000 : 0);
    settle_end_.unref();  // a run that ends within its settle does not wait for it
  }
  if (!open_) {
    if (!options().concurrency_stages.empty())
      ramp_.start<&EngineThread::on_ramp>(this, 0, kRampEveryMs);
    start_connections();
  } else {
    // An open loop connects on demand, as the schedule hands out requests.
    started_ = connections_.size();
    for (auto& connection : connections_) idle_.push_back(connection.get());
    slot_ = part_.index;
    const std::uint64_t due = plan_.schedule().due_ns(slot_);
    if (plan_.slot_exists(slot_, due)) {
      next_due_ns_ = plan_.start_ns() + due;
      on_tick();
    } else {
      end_of_schedule();  // a shard or thread with no slot at all (-n below its place)
    }
  }
  stats_.busy_poll_cpu_ns =
      run_busy_polling(loop_.get(), options().busy_poll_us * 1000).spin_cpu_ns;
  publish(UINT64_MAX);
}

void EngineThread::on_idle(ClientConnection& connection) {
  if (!open_) {
    std::uint64_t index = 0;
    // Read here, after the previous response's bookkeeping (histograms, the interval roll, the
    // progress publish): in a closed loop this is the next request's start, and that work is
    // not the server's time.
    const std::uint64_t now = uv_hrtime();
    if (ramp_.active() && !plan_.cut_short(now) &&
        started_ - parked_.size() > allowed_connections(now)) {
      parked_.push_back(&connection);  // the stages ask for fewer connections now
      return;
    }
    if (plan_.claim(now, index)) {
      if (live_metrics_) live_.started.add();
      connection.assign(index, now, now);
    } else {
      connection.finish();
    }
    return;
  }
  if (!backlog_.empty() && plan_.cut_short(uv_hrtime())) {
    // -d is over (or Ctrl-C) and the tick that ends the schedule has not run yet: what waits
    // is not sent after the end (as in end_of_schedule), it is counted as unsent.
    stats().unsent += backlog_.size();
    backlog_.clear();
    publish_backlog();
  }
  if (!backlog_.empty()) {
    const DueRequest due = backlog_.front();
    backlog_.pop_front();
    publish_backlog();
    if (live_metrics_) live_.started.add();
    connection.assign(due.index, due.intended_ns, uv_hrtime());
  } else if (schedule_done_) {
    connection.finish();
  } else {
    idle_.push_back(&connection);
  }
}

void EngineThread::on_tick() {
  const std::uint64_t now = uv_hrtime();
  while (next_due_ns_ <= now) {
    const std::uint64_t index = slot_;  // the slot is the request's number in the run ({seq})
    if (!plan_.slot_in_run(slot_, next_due_ns_ - plan_.start_ns())) {
      end_of_schedule();
      return;
    }
    ++stats().interval_at(since_origin(next_due_ns_)).scheduled;
    if (!idle_.empty()) {
      // The most recently idle first (requests choose their URL, not their connection): it is
      // the one a server's keep-alive timeout is least likely to be closing as the request goes.
      ClientConnection* connection = idle_.back();
      idle_.pop_back();
      if (live_metrics_) live_.started.add();
      connection->assign(index, next_due_ns_, uv_hrtime());
    } else if (backlog_.size() < kMaxBacklog) {
      backlog_.push_back({index, next_due_ns_});
    } else {
      ++stats().unsent;
    }
    if (!next_slot()) {
      // -n or the stages are done: the schedule ends now, not at a slot that will never come
      // (at --rate 0.001 that is 1000 s away).
      end_of_schedule();
      return;
    }
  }
  publish_backlog();
  tick_.start_at<&EngineThread::on_tick>(this, next_due_ns_);
}

bool EngineThread::next_slot() {
  slot_ += part_.count;
  const std::uint64_t due = plan_.schedule().due_ns(slot_);
  if (!plan_.slot_exists(slot_, due)) return false;
  next_due_ns_ = plan_.start_ns() + due;
  return true;
}

void EngineThread::end_of_schedule() {
  schedule_done_ = true;
  tick_.stop();
  publish_backlog();  // what the last tick queued
  if (plan_.cut_short(uv_hrtime())) {
    // -d is over (or Ctrl-C): requests still waiting for a connection are not sent after the
    // end, where they would stretch the run without bound; they are counted as unsent.
    stats().unsent += backlog_.size();
    backlog_.clear();
    publish_backlog();
  }
  if (!backlog_.empty()) return;  // -n: busy connections drain it, then finish
  for (ClientConnection* connection : idle_) connection->finish();
  idle_.clear();
}

void EngineThread::on_cancel() {
  schedule_done_ = true;
  tick_.stop();
  start_batch_.stop();
  ramp_.stop();
  parked_.clear();
  started_ = connections_.size();
  stats().unsent += backlog_.size();
  backlog_.clear();
  publish_backlog();
  idle_.clear();
  for (auto& connection : connections_) connection->cancel();
}

void EngineThread::note_send(std::uint64_t intended_ns, std::uint64_t sent_ns) {
  if (!open_) return;  // a closed loop has no schedule to be late for
  const std::uint64_t lag_us = sent_ns > intended_ns ? (sent_ns - intended_ns) / 1000 : 0;
  RunStats& stats = this->stats();
  stats.last_due_s =
      std::max(stats.last_due_s, static_cast<double>(since_origin(intended_ns)) / 1e9);
  stats.max_start_lag_us = std::max(stats.max_start_lag_us, lag_us);
  if (lag_us > kLateStartUs) ++stats.late_starts;
  ++stats.sent;
  stats.last_send_s = std::max(stats.last_send_s, static_cast<double>(since_origin(sent_ns)) / 1e9);
}

void EngineThread::record_response(std::size_t url, int status, std::uint64_t latency_us,
                                   std::uint64_t service_us, std::uint64_t now_ns) {
  RunStats& stats = this->stats();
  stats.record_response(status, latency_us, service_us, since_origin(now_ns));
  stats.record_url_response(plan_.url_row(url), status, latency_us);
  last_event_ns_ = std::max(last_event_ns_, now_ns);
  if (live_metrics_) live_.on_response(latency_us);
  if (!progress_) return;
  live_responses_.store(stats.responses, std::memory_order_relaxed);
  publish(now_ns);
}

void EngineThread::record_error(std::size_t url, ErrorKind kind, std::uint64_t now_ns) {
  RunStats& stats = this->stats();
  stats.record_error(kind, since_origin(now_ns));
  stats.record_url_error(plan_.url_row(url), kind);
  last_event_ns_ = std::max(last_event_ns_, now_ns);
  if (progress_) live_errors_.store(stats.error_count(), std::memory_order_relaxed);
  if (live_metrics_) live_.on_error(kind);
}

void EngineThread::publish(std::uint64_t now_ns) {
  // The progress line's "p99 so far": a percentile walks the whole histogram, so at most ten
  // times a second, never per response.
  constexpr std::uint64_t kPublishEveryNs = 100'000'000;
  if (!progress_ || (now_ns != UINT64_MAX && now_ns - last_publish_ns_ < kPublishEveryNs)) return;
  last_publish_ns_ = now_ns;
  live_p99_us_.store(stats().latency_us.value_at_percentile(99), std::memory_order_relaxed);
}

RunStats run_load(const RunOptions& options, const RunHooks& hooks) {
  LoadPlan plan(options);
  const ShardSpec shard = options.shard;
  const auto connections = static_cast<unsigned>(share_of(options.concurrency, shard));
  const unsigned threads = std::max(1u, std::min(options.threads, connections));
  const std::uint64_t seed = shard_seed(options.seed, shard.index);
  std::vector<std::unique_ptr<EngineThread>> engines;
  const std::uint64_t settle_ns = hooks.settle_ms * 1'000'000;
  for (unsigned i = 0; i < threads; ++i) {
    // Thread i of shard I takes every (N*T)-th slot of the run from I + N*i: the shards'
    // threads together take each slot once, in the order of one process's schedule.
    const ShardSpec part{shard.index + shard.count * i, shard.count * threads};
    engines.push_back(std::make_unique<EngineThread>(
        plan, static_cast<unsigned>(share_of(connections, ShardSpec{i, threads})),
        seed + i * 0x9E3779B97F4A7C15ULL, part));
    engines.back()->set_settle(settle_ns);
    engines.back()->set_live_readers(hooks.progress, !options.observe.metrics_listen.empty());
  }

  // Signals are taken synchronously by this thread (a signalfd), never by a handler; the
  // engines are started with them blocked, so they inherit the mask.
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (hooks.stop_on_signals) pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  // Each engine adds 1 when it is done: this thread wakes at once, not at its next poll.
  OwnedFd done(eventfd(0, EFD_CLOEXEC), "eventfd");
  std::optional<OwnedFd> signals;
  if (hooks.stop_on_signals) signals.emplace(signalfd(-1, &stop_signals, SFD_CLOEXEC), "signalfd");

  if (hooks.watcher) {
    std::vector<const LiveMetrics*> live;
    for (const auto& engine : engines) live.push_back(&engine->live());
    hooks.watcher->starting(std::move(live));
  }
  RunStats total;
  std::uint64_t start_ns = uv_hrtime();
  total.start_unix = unix_now();
  if (options.start_at_unix) {
    // The schedule's origin is the agreed instant, even for a shard that missed it: its slots
    // stay those of the run (latency counts from them), and it reports how late it was.
    // parse_start_at keeps the instant within a day ahead and minutes behind; the clamp keeps
    // the arithmetic defined for any caller.
    const double ahead_s = std::clamp(*options.start_at_unix - total.start_unix,
                                      -kMaxStartBehindS - 60, kMaxStartAheadS + 60);
    const auto ahead_ns = static_cast<std::uint64_t>(std::llround(std::fabs(ahead_s) * 1e9));
    start_ns = ahead_s >= 0 ? start_ns + ahead_ns
                            : start_ns - std::min<std::uint64_t>(start_ns - 1, ahead_ns);
    if (!wait_until(start_ns, signals ? signals->get() : -1)) plan.stop();
    const std::uint64_t woke_ns = uv_hrtime();
    total.start_late_us = woke_ns > start_ns ? (woke_ns - start_ns) / 1000 : 0;
    total.start_unix = *options.start_at_unix;
  }
  plan.start(start_ns);
  if (hooks.watcher) hooks.watcher->started(total.start_unix, start_ns);
  std::vector<std::thread> running;
  for (auto& engine : engines) {
    running.emplace_back([&engine, fd = done.get()] {
      engine->run();
      const std::uint64_t one = 1;
      (void)!::write(fd, &one, sizeof one);
    });
  }
  const std::uint64_t grace_ns = options.grace_ms * 1'000'000;
  const std::uint64_t deadline_ns =
      options.duration_ms ? start_ns + *options.duration_ms * 1'000'000 : UINT64_MAX;
  std::optional<std::uint64_t> stopped_ns;  // Ctrl-C
  std::uint64_t last_progress_ns = start_ns;
  bool cancelled = false;
  std::uint64_t finished = 0;
  while (finished < engines.size()) {
    const std::uint64_t now = uv_hrtime();
    const std::uint64_t end_ns = stopped_ns ? std::min(*stopped_ns, deadline_ns) : deadline_ns;
    const std::uint64_t cancel_ns = end_ns == UINT64_MAX ? UINT64_MAX : end_ns + grace_ns;
    if (!cancelled && now >= cancel_ns) {
      for (auto& engine : engines) engine->cancel();
      cancelled = true;
    }
    if (hooks.progress && now - last_progress_ns >= kProgressEveryNs) {
      print_progress(engines, options, static_cast<double>(now - start_ns) / 1e9, false);
      last_progress_ns = now;
    }
    std::uint64_t wake_ns = hooks.progress ? last_progress_ns + kProgressEveryNs : UINT64_MAX;
    if (!cancelled) wake_ns = std::min(wake_ns, cancel_ns);
    const int timeout_ms = wake_ns == UINT64_MAX
                               ? -1
                               : static_cast<int>(std::min<std::uint64_t>(
                                     (wake_ns - std::min(wake_ns, now)) / 1'000'000 + 1, 60'000));
    pollfd fds[2] = {{done.get(), POLLIN, 0}, {signals ? signals->get() : -1, POLLIN, 0}};
    if (poll(fds, signals ? 2 : 1, timeout_ms) <= 0) continue;
    if (fds[0].revents & POLLIN) finished += read_counter(done.get());
    if (signals && (fds[1].revents & POLLIN)) {
      signalfd_siginfo info{};
      (void)!::read(signals->get(), &info, sizeof info);
      if (!stopped_ns) {
        plan.stop();
        stopped_ns = uv_hrtime();
        if (hooks.progress) {
          std::fprintf(
              stderr,
              "\n  stopping: waiting up to %.3g s for requests in flight (Ctrl-C again: now)\n",
              static_cast<double>(options.grace_ms) / 1000);
        }
      } else if (!cancelled) {
        // A second signal: the user will not wait out the grace (up to 10 min). Cancel now;
        // the report is still written.
        for (auto& engine : engines) engine->cancel();
        cancelled = true;
      }
    }
  }
  for (auto& thread : running) thread.join();
  const std::uint64_t finished_ns = uv_hrtime();
  if (hooks.watcher) {
    // From the engines' own figures: the live ones are kept only for --metrics-listen.
    std::uint64_t responses = 0;
    for (auto& engine : engines) responses += engine->measured().responses;
    hooks.watcher->finished(responses);
  }
  if (hooks.progress && finished_ns - start_ns >= kProgressEveryNs) {
    print_progress(engines, options, static_cast<double>(finished_ns - start_ns) / 1e9, true);
  }
  if (hooks.stop_on_signals) {
    // A signal that came as the engines finished is still pending: unblocked, it would take
    // its default action and kill the process before the report. Taken here, it is a stop of
    // a run that is already over.
    const timespec no_wait{0, 0};
    while (sigtimedwait(&stop_signals, nullptr, &no_wait) > 0) {
    }
  }
  signals.reset();
  if (hooks.stop_on_signals) pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  // The run ends with its last response or error, or at the deadline or stop if that came later
  // (a -d run ends no sooner than its duration, even if nothing was answered in its last part).
  std::uint64_t end_ns = 0;
  for (const auto& engine : engines) end_ns = std::max(end_ns, engine->last_event_ns());
  const std::uint64_t cutoff_ns = stopped_ns ? std::min(*stopped_ns, deadline_ns) : deadline_ns;
  if (cutoff_ns != UINT64_MAX) end_ns = std::max(end_ns, std::min(cutoff_ns, finished_ns));
  if (end_ns == 0) end_ns = finished_ns;
  // After a settle, the figures (and so the run's span) start where it ended.
  const std::uint64_t measured_from_ns = start_ns + settle_ns;
  total.start_unix += static_cast<double>(settle_ns) / 1e9;
  total.end_unix =
      total.start_unix +
      static_cast<double>(end_ns > measured_from_ns ? end_ns - measured_from_ns : 0) / 1e9;
  total.interval_ms = options.interval_ms;
  for (auto& engine : engines) total.merge(engine->measured());
  total.runs_merged = 1;
  if (options.rate) total.target_rate = *options.rate / shard.count;
  if (!options.stages.empty()) {
    // The stages' average over their length: this shard's part of it.
    total.stages_s = static_cast<double>(stages_duration_ms(options.stages)) / 1000.0;
    total.target_rate = static_cast<double>(share_of(*options.requests, shard)) / total.stages_s;
  }
  total.fold_trailing_fragment();
  return total;
}

}  // namespace loadlab::loadgen
