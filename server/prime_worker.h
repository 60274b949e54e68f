// The worker side of the /prime pool and the frames both sides exchange over the worker's
// stdin/stdout pipes (server/worker_frames.h). Workers are the server's own executable started with
// --prime-worker.
#pragma once

#include <string_view>

#include "server/worker_frames.h"

namespace loadlab::server {

inline constexpr const char* kPrimeWorkerFlag = "--prime-worker";

// Reads jobs from stdin and writes results to stdout until stdin closes; returns the exit code.
// server_pid: the process that started it (the worker's command line: --prime-worker PID).
int run_prime_worker(std::string_view server_pid);

}  // namespace loadlab::server
