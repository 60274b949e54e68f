// The worker side of the /prime pool and the frames both sides exchange over the worker's
// stdin/stdout pipes. Workers are the server's own executable started with --prime-worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace loadlab::server {

inline constexpr const char* kPrimeWorkerFlag = "--prime-worker";

// Fixed-size, native-endian frames: both ends are the same binary on the same machine.
// The pool may write several job frames at once (cheap jobs, under load); a worker answers
// them in order, and the results of what it read in one go in one write.
inline constexpr std::size_t kMaxFramesPerWorker = 16;

struct JobFrame {
  std::uint64_t job_id;
  std::uint64_t n;
  std::uint64_t method;  // 0 trial, 1 Miller-Rabin
};

struct ResultFrame {
  std::uint64_t job_id;
  std::uint64_t prime;
  std::uint64_t divisor;
  std::uint64_t started_ns;  // CLOCK_MONOTONIC, the clock of uv_hrtime(): when computing began
  std::uint64_t compute_ns;
};

// Reads jobs from stdin and writes results to stdout until stdin closes; returns the exit code.
// server_pid: the process that started it (the worker's command line: --prime-worker PID).
int run_prime_worker(std::string_view server_pid);

}  // namespace loadlab::server
