// Runs a load: one EngineThread per -t, each with its own uv loop and its share of the
// connections, all claiming requests from one LoadPlan.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "common/uv_handle.h"
#include "loadgen/client_connection.h"
#include "loadgen/load_plan.h"
#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

class EngineThread {
 public:
  EngineThread(LoadPlan& plan, unsigned connections, std::uint64_t seed);
  EngineThread(const EngineThread&) = delete;
  EngineThread& operator=(const EngineThread&) = delete;

  void run();
  RunStats& stats() { return stats_; }

  // --- for this thread's connections ---
  uv_loop_t* loop() { return loop_.get(); }
  const RunOptions& options() const { return plan_.options(); }
  bool head_requests() const { return plan_.head_requests(); }
  std::mt19937_64& random() { return random_; }
  uv_buf_t read_buffer() { return uv_buf_init(read_buffer_.data(), static_cast<unsigned>(read_buffer_.size())); }
  bool claim(std::uint64_t& index) { return plan_.claim(uv_hrtime(), index); }

 private:
  LoadPlan& plan_;
  EventLoop loop_;  // first, so it outlives every handle below
  RunStats stats_;
  std::mt19937_64 random_;
  std::vector<char> read_buffer_;
  std::vector<std::unique_ptr<ClientConnection>> connections_;
};

// Runs the whole load described by `options` and returns the merged measurements.
// Throws std::invalid_argument for bad URLs or templates (before any traffic).
RunStats run_load(const RunOptions& options);

}  // namespace loadlab::loadgen
