#include "loadgen/engine.h"

#include <chrono>
#include <thread>

namespace loadlab::loadgen {
namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

EngineThread::EngineThread(LoadPlan& plan, unsigned connections, std::uint64_t seed)
    : plan_(plan), random_(seed), read_buffer_(kReadBufferBytes) {
  const auto& shapes = plan.shapes();
  for (unsigned i = 0; i < connections; ++i) {
    connections_.push_back(std::make_unique<ClientConnection>(*this, shapes[i % shapes.size()]));
  }
}

void EngineThread::run() {
  for (auto& connection : connections_) connection->start();
  loop_.run();
}

RunStats run_load(const RunOptions& options) {
  LoadPlan plan(options);
  const unsigned threads = std::max(1u, std::min(options.threads, options.concurrency));
  std::vector<std::unique_ptr<EngineThread>> engines;
  for (unsigned i = 0; i < threads; ++i) {
    const unsigned share = options.concurrency / threads + (i < options.concurrency % threads ? 1 : 0);
    engines.push_back(std::make_unique<EngineThread>(plan, share, options.seed + i * 0x9E3779B97F4A7C15ULL));
  }
  RunStats total;
  total.start_unix = unix_now();
  plan.start(uv_hrtime());
  std::vector<std::thread> running;
  for (auto& engine : engines) running.emplace_back([&engine] { engine->run(); });
  for (auto& thread : running) thread.join();
  total.end_unix = unix_now();
  for (auto& engine : engines) {
    total.merge(engine->stats());
  }
  total.runs_merged = 1;
  return total;
}

}  // namespace loadlab::loadgen
