#include "server/prime_worker.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>

#include "server/primality.h"

namespace loadlab::server {
namespace {

constexpr int kWorkerNice = 5;

bool read_full(int fd, void* data, std::size_t length) {
  auto* bytes = static_cast<char*>(data);
  while (length > 0) {
    const ssize_t n = ::read(fd, bytes, length);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes += n;
    length -= static_cast<std::size_t>(n);
  }
  return true;
}

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
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

int run_prime_worker() {
  // The server stops a worker by closing its stdin; Ctrl-C on the terminal reaches the whole
  // process group, and a worker must not die before the server has drained.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  // Workers fill every core they are given; the event loops and the pool's dispatcher must
  // still run the moment they wake, or each finished job waits a scheduler slice for its next
  // one. A lower priority gives the I/O threads that precedence (as nice'd batch work would).
  setpriority(PRIO_PROCESS, 0, kWorkerNice);
  JobFrame job{};
  while (read_full(STDIN_FILENO, &job, sizeof job)) {
    const std::uint64_t start = now_ns();
    const PrimalityResult result = job.method == 1 ? miller_rabin(job.n) : trial_division(job.n);
    const ResultFrame frame{job.job_id, result.prime ? 1u : 0u, result.divisor, now_ns() - start};
    if (!write_full(STDOUT_FILENO, &frame, sizeof frame)) return 1;
  }
  return 0;
}

}  // namespace loadlab::server
