#include "server/prime_worker.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>

#include "common/decimal.h"
#include "server/primality.h"

namespace loadlab::server {
namespace {

constexpr int kWorkerNice = 5;
constexpr std::uint64_t kMaxResultHoldNs = 1'000'000;

bool write_full(int fd, const void* data, std::size_t length) {
  const auto* bytes = static_cast<const char*>(data);
  while (length > 0) {
    const ssize_t n = ::write(fd, bytes, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes += n;
    length -= static_cast<std::size_t>(n);
  }
  return true;
}

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

int run_prime_worker(std::string_view server_pid) {
  // A worker must not outlive a server that crashed or was SIGKILLed (it would compute its
  // job to the end, owned by nobody): the kernel kills it with its parent. The server may have
  // died before this took effect (between fork and here), so the parent is checked after it
  // against the pid the server passed, not against whoever is the parent by now.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  const auto parent = parse_decimal_u64(server_pid);
  if (!parent || static_cast<std::uint64_t>(getppid()) != *parent) return 1;
  // The server stops a worker by closing its stdin; Ctrl-C on the terminal reaches the whole
  // process group, and a worker must not die before the server has drained.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  // Workers fill every core they are given; the event loops and the pool's dispatcher must
  // still run the moment they wake, or each finished job waits a scheduler slice for its next
  // one. A lower priority gives the I/O threads that precedence (as nice'd batch work would).
  setpriority(PRIO_PROCESS, 0, kWorkerNice);
  // Reads whatever frames have arrived (up to the most the pool sends at once), answers them
  // in order and writes all their results with one system call.
  FrameReader<JobFrame> reader;
  JobFrame jobs[kMaxFramesPerWorker];
  ResultFrame results[kMaxFramesPerWorker];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, reader.space(), reader.space_size());
    if (n == 0) break;  // the server closed our stdin: stop
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    reader.commit(static_cast<std::size_t>(n));
    const std::size_t count = reader.take(jobs);
    std::size_t written = 0;
    std::uint64_t last_write = now_ns();
    for (std::size_t i = 0; i < count; ++i) {
      const JobFrame& job = jobs[i];
      const std::uint64_t start = now_ns();
      const PrimalityResult result = job.method == 1 ? miller_rabin(job.n) : trial_division(job.n);
      const std::uint64_t end = now_ns();
      results[i] =
          ResultFrame{job.job_id, result.prime ? 1u : 0u, result.divisor, start, end - start};
      // Batching saves system calls, not latency: a result is never held back for more than
      // a millisecond (the pool times each job from when the previous one was answered).
      if (end - last_write > kMaxResultHoldNs || i + 1 == count) {
        if (!write_full(STDOUT_FILENO, results + written, (i + 1 - written) * sizeof(ResultFrame)))
          return 1;
        written = i + 1;
        last_write = end;
      }
    }
    // A frame the pool never sends: the pipe is out of step. Exiting makes the pool replace
    // this worker (and answer the jobs it held) as after any unexpected death.
    if (reader.failed()) {
      std::fprintf(stderr, "/prime worker: invalid job frame from the server\n");
      return 1;
    }
  }
  return 0;
}

}  // namespace loadlab::server
