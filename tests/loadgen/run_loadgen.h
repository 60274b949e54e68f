// Running the real loadlab-loadgen against the real loadlab-server on loopback: the helpers
// the open-loop, SLO, Ctrl-C, progress and HTML output tests share.
#pragma once

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {

// The kinds of error the loadgen's report breaks errors down into ("errors": {kind: count}).
inline constexpr const char* kErrorKinds[] = {"connect",   "timeout", "reset", "closed",
                                              "truncated", "parse",   "tls"};

inline std::string base(const ServerProcess& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

// Runs loadlab-loadgen with `args`; `meanwhile` runs while it does, given its pid.
inline CommandResult loadgen(std::vector<std::string> args,
                             const std::function<void(pid_t)>& meanwhile = {}) {
  args.insert(args.begin(), LOADLAB_LOADGEN_BIN);
  return run_command(args, std::chrono::seconds(150), meanwhile);
}

// Requests the server has answered on /N so far.
inline double delays_answered(const ServerProcess& server) {
  return metric(server.port(), R"(loadlab_http_requests_total{route="delay",code="200"})");
}

inline std::string temp_file(const char* name) {
  return std::string("/tmp/loadlab-test-") + std::to_string(getpid()) + "-" + name;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace loadlab::test
