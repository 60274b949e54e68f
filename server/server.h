// The process: binds one listener per event-loop thread, runs the threads, and turns
// SIGINT/SIGTERM into a bounded, graceful drain.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "common/uv_handle.h"
#include "server/config.h"
#include "server/loop_context.h"
#include "server/shared_state.h"
#include "server/tls_setup.h"
#include "server/worker_pool.h"

namespace loadlab::server {

class Server {
 public:
  explicit Server(const ServerConfig& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  SharedState& shared() { return shared_; }

  // Serves until drained after a signal; returns the process exit code.
  int run();

 private:
  void on_signal(int signum);
  void on_drain_timeout();
  void on_loop_finished();

  const ServerConfig& config_;
  SharedState shared_;
  std::optional<ServerTls> tls_;  // before the loops: their connections' sessions use it
  EventLoop main_loop_;
  std::vector<std::unique_ptr<LoopContext>> loops_;
  std::vector<std::thread> threads_;
  // Declared after the loops, so it stops (and stops posting to them) before they go.
  std::unique_ptr<WorkerPool> pool_;
  std::atomic<unsigned> loops_finished_{0};
  SignalWatcher sigint_;
  SignalWatcher sigterm_;
  Timer drain_timer_;
  AsyncSignal loop_finished_;
  bool draining_ = false;
};

}  // namespace loadlab::server
