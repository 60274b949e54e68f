// The loadgen holds one socket per connection: -c is bounded by the open-file limit, which is
// raised as far as the system allows before the run, and checked against -c before any traffic.
#pragma once

#include <cstdint>

namespace loadlab::loadgen {

// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the soft limit now in force.
std::uint64_t raise_open_file_limit();

// Throws std::invalid_argument naming -c and the limit when `connections` sockets (this
// process's: a shard's share of -c), the loadgen's own descriptors and `extra_fds` (the run
// observer's, kObserverFds) do not fit under the open-file limit.
void check_open_file_budget(std::uint64_t connections, unsigned threads, const char* flag = "-c",
                            std::uint64_t extra_fds = 0);

}  // namespace loadlab::loadgen
