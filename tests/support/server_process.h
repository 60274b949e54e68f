// Starts a real loadlab binary as a child process and finds its port from the
// machine-readable "listening" line it prints. Stops (and reaps) it on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace loadlab::test {

class ServerProcess {
 public:
  // Runs `binary` with `args` (plus `--host 127.0.0.1 --port 0` unless given); waits for the
  // listening line.
  explicit ServerProcess(std::vector<std::string> args = {},
                         std::string binary = LOADLAB_SERVER_BIN);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  // The HTTPS port (--tls-cert or --tls-self-signed), 0 without one.
  std::uint16_t tls_port() const { return tls_port_; }
  // The certificate's SHA-256 fingerprint the listening line gave ("AB:CD:..."), or "".
  const std::string& tls_fingerprint() const { return tls_fingerprint_; }
  pid_t pid() const { return pid_; }
  void signal(int signum) const;
  // The exit status (or 128 + signal), or nullopt if still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // Everything the child wrote to stderr so far (its logs).
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::string tls_fingerprint_;
  std::string stderr_path_;
  bool reaped_ = false;
};

// Runs a command to completion; returns its exit code and stdout.
struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};
// `meanwhile` runs in this thread right after the command starts (to stall a server or signal
// the command mid-run); the timeout counts from the start either way.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::function<void(pid_t)>& meanwhile = {});

}  // namespace loadlab::test
