#include "loadgen/engine.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

namespace loadlab::loadgen {
namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;
// After Ctrl-C, requests in flight get this long to complete before connections are closed.
constexpr auto kStopGrace = std::chrono::seconds(1);
// Open loop: due requests waiting for a connection, at most (16 bytes each). A target this far
// behind will never catch up; later ones are counted as unsent rather than queued.
constexpr std::size_t kMaxBacklog = 1'000'000;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void print_progress(const std::vector<std::unique_ptr<EngineThread>>& engines, const RunOptions& options,
                    double elapsed_s, bool final_line) {
  std::uint64_t done = 0, errors = 0, p99 = 0;
  for (const auto& engine : engines) {
    done += engine->live_responses();
    errors += engine->live_errors();
    p99 = std::max(p99, engine->live_p99_us());
  }
  char total[32] = "";
  if (options.requests) std::snprintf(total, sizeof total, "/%llu", static_cast<unsigned long long>(*options.requests));
  std::fprintf(stderr, "\r  %6.1fs  %llu%s done  %.0f req/s  %llu errors  p99 so far %.2fms   %s", elapsed_s,
               static_cast<unsigned long long>(done + errors), total,
               elapsed_s > 0 ? static_cast<double>(done + errors) / elapsed_s : 0.0,
               static_cast<unsigned long long>(errors), static_cast<double>(p99) / 1000.0, final_line ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace

EngineThread::EngineThread(LoadPlan& plan, unsigned connections, std::uint64_t seed, double rate_share,
                           std::uint64_t phase_ns)
    : plan_(plan),
      random_(seed),
      read_buffer_(kReadBufferBytes),
      abort_signal_(AsyncSignal::create<&EngineThread::on_abort>(loop_.get(), this)),
      tick_(loop_.get()),
      rate_(rate_share),
      phase_ns_(phase_ns) {
  abort_signal_.unref();
  stats_.interval_ms = plan.options().interval_ms;
  const auto& shapes = plan.shapes();
  for (unsigned i = 0; i < connections; ++i) {
    connections_.push_back(std::make_unique<ClientConnection>(*this, shapes[i % shapes.size()]));
  }
}

void EngineThread::run() {
  if (rate_ == 0) {
    for (auto& connection : connections_) on_idle(*connection);
  } else {
    for (auto& connection : connections_) idle_.push_back(connection.get());
    next_due_ns_ = plan_.start_ns() + phase_ns_;
    on_tick();
  }
  loop_.run();
  publish(UINT64_MAX);
}

void EngineThread::on_idle(ClientConnection& connection) {
  if (rate_ == 0) {
    std::uint64_t index = 0;
    const std::uint64_t now = uv_hrtime();
    if (plan_.claim(now, index)) {
      connection.assign(index, now);
    } else {
      connection.finish();
    }
    return;
  }
  if (!backlog_.empty()) {
    const DueRequest due = backlog_.front();
    backlog_.pop_front();
    connection.assign(due.index, due.intended_ns);
  } else if (schedule_done_) {
    connection.finish();
  } else {
    idle_.push_back(&connection);
  }
}

void EngineThread::on_tick() {
  const std::uint64_t now = uv_hrtime();
  while (next_due_ns_ <= now) {
    std::uint64_t index = 0;
    if (!plan_.claim(next_due_ns_, index)) {
      end_of_schedule();
      return;
    }
    if (!idle_.empty()) {
      // The longest idle first: connections (each bound to one of the URLs) take turns, where
      // a stack would give every request to the one that finished last.
      ClientConnection* connection = idle_.front();
      idle_.pop_front();
      connection->assign(index, next_due_ns_);
    } else if (backlog_.size() < kMaxBacklog) {
      backlog_.push_back({index, next_due_ns_});
    } else {
      ++stats_.unsent;
    }
    ++slot_;
    next_due_ns_ = plan_.start_ns() + phase_ns_ + static_cast<std::uint64_t>(std::llround(1e9 * static_cast<double>(slot_) / rate_));
  }
  tick_.start_at<&EngineThread::on_tick>(this, next_due_ns_);
}

void EngineThread::end_of_schedule() {
  schedule_done_ = true;
  tick_.stop();
  if (plan_.cut_short(uv_hrtime())) {
    // -d is over (or Ctrl-C): requests still waiting for a connection are not sent after the
    // end, where they would stretch the run without bound; they are counted as unsent.
    stats_.unsent += backlog_.size();
    backlog_.clear();
  }
  if (!backlog_.empty()) return;  // -n: busy connections drain it, then finish
  for (ClientConnection* connection : idle_) connection->finish();
  idle_.clear();
}

void EngineThread::on_abort() {
  schedule_done_ = true;
  tick_.stop();
  stats_.unsent += backlog_.size();
  backlog_.clear();
  idle_.clear();
  for (auto& connection : connections_) connection->abort();
}

void EngineThread::note_send(std::uint64_t intended_ns, std::uint64_t sent_ns) {
  if (rate_ == 0) return;  // a closed loop has no schedule to be late for
  const std::uint64_t lag_us = sent_ns > intended_ns ? (sent_ns - intended_ns) / 1000 : 0;
  stats_.max_start_lag_us = std::max(stats_.max_start_lag_us, lag_us);
  if (lag_us > kLateStartUs) ++stats_.late_starts;
  stats_.last_send_s = std::max(stats_.last_send_s, static_cast<double>(sent_ns - plan_.start_ns()) / 1e9);
}

void EngineThread::record_response(int status, std::uint64_t latency_us, std::uint64_t service_us, std::uint64_t now_ns) {
  stats_.record_response(status, latency_us, service_us, now_ns - plan_.start_ns());
  live_responses_.store(stats_.responses, std::memory_order_relaxed);
  publish(now_ns);
}

void EngineThread::record_error(ErrorKind kind, std::uint64_t now_ns) {
  stats_.record_error(kind, now_ns - plan_.start_ns());
  live_errors_.store(stats_.error_count(), std::memory_order_relaxed);
}

void EngineThread::publish(std::uint64_t now_ns) {
  // The progress line's "p99 so far": a percentile walks the whole histogram, so at most ten
  // times a second, never per response.
  constexpr std::uint64_t kPublishEveryNs = 100'000'000;
  if (now_ns != UINT64_MAX && now_ns - last_publish_ns_ < kPublishEveryNs) return;
  last_publish_ns_ = now_ns;
  live_p99_us_.store(stats_.latency_us.value_at_percentile(99), std::memory_order_relaxed);
}

RunStats run_load(const RunOptions& options, const RunHooks& hooks) {
  LoadPlan plan(options);
  const unsigned threads = std::max(1u, std::min(options.threads, options.concurrency));
  std::vector<std::unique_ptr<EngineThread>> engines;
  for (unsigned i = 0; i < threads; ++i) {
    const unsigned share = options.concurrency / threads + (i < options.concurrency % threads ? 1 : 0);
    const double rate_share = options.rate ? *options.rate / threads : 0.0;
    const auto phase_ns = options.rate ? static_cast<std::uint64_t>(1e9 * i / *options.rate) : 0;
    engines.push_back(
        std::make_unique<EngineThread>(plan, share, options.seed + i * 0x9E3779B97F4A7C15ULL, rate_share, phase_ns));
  }

  // Signals are taken synchronously by this thread (sigtimedwait), never by a handler.
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (hooks.stop_on_signals) pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);

  RunStats total;
  total.start_unix = unix_now();
  plan.start(uv_hrtime());
  std::atomic<unsigned> finished{0};
  std::vector<std::thread> running;
  for (auto& engine : engines) {
    running.emplace_back([&engine, &finished] {
      engine->run();
      finished.fetch_add(1);
    });
  }
  const auto started = std::chrono::steady_clock::now();
  auto last_progress = started;
  std::optional<std::chrono::steady_clock::time_point> stop_requested;
  bool aborted = false;
  while (finished.load() < engines.size()) {
    if (hooks.stop_on_signals) {
      const timespec wait{0, 100'000'000};
      if (sigtimedwait(&stop_signals, nullptr, &wait) > 0 && !stop_requested) {
        plan.stop();
        stop_requested = std::chrono::steady_clock::now();
        if (hooks.progress) std::fprintf(stderr, "\n  stopping: waiting up to 1 s for requests in flight\n");
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto now = std::chrono::steady_clock::now();
    if (stop_requested && !aborted && now - *stop_requested > kStopGrace) {
      for (auto& engine : engines) engine->abort();
      aborted = true;
    }
    if (hooks.progress && now - last_progress >= std::chrono::seconds(1)) {
      print_progress(engines, options, std::chrono::duration<double>(now - started).count(), false);
      last_progress = now;
    }
  }
  for (auto& thread : running) thread.join();
  if (hooks.progress && std::chrono::steady_clock::now() - started >= std::chrono::seconds(1)) {
    print_progress(engines, options, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), true);
  }
  if (hooks.stop_on_signals) pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  total.end_unix = unix_now();
  total.interval_ms = options.interval_ms;
  for (auto& engine : engines) total.merge(engine->stats());
  total.runs_merged = 1;
  total.target_rate = options.rate;
  total.fold_trailing_fragment();
  return total;
}

}  // namespace loadlab::loadgen
