#include "loadgen/open_files.h"

#include <sys/resource.h>

#include <stdexcept>
#include <string>

namespace loadlab::loadgen {
namespace {

// Besides the sockets: stdio, the output files, and per event-loop thread its epoll, wakeup
// eventfd, timerfd and signal pipe (libuv keeps a few more open at times).
constexpr std::uint64_t kFixedFds = 32;
constexpr std::uint64_t kFdsPerThread = 8;

}  // namespace

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : limit.rlim_cur;
}

void check_open_file_budget(std::uint64_t connections, unsigned threads, const char* flag,
                            std::uint64_t extra_fds) {
  const std::uint64_t limit = raise_open_file_limit();
  const std::uint64_t reserved = kFixedFds + kFdsPerThread * threads + extra_fds;
  if (limit > reserved && connections <= limit - reserved) return;
  const std::uint64_t most = limit > reserved ? limit - reserved : 0;
  throw std::invalid_argument(std::string(flag) + " " + std::to_string(connections) +
                              " needs a socket per connection, but the "
                              "open-file limit is " +
                              std::to_string(limit) +
                              " (ulimit -n; hard limit included), enough for " + flag + " " +
                              std::to_string(most) + " at most: raise the limit or lower " + flag);
}

}  // namespace loadlab::loadgen
