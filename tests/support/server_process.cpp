#include "tests/support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace loadlab::test {
namespace {

// A test that dies (a failed ASSERT in a helper, an abort, ctest's timeout) must not leave its
// server or loadgen running, holding a port and a core on the machine that runs the next test.
// The signal comes when the thread that forked exits: tests start processes from their own
// thread.
void die_with_test(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the test died before prctl took effect
}

using Clock = std::chrono::steady_clock;

std::vector<char*> to_argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

std::string temp_path(const char* stem) {
  std::string pattern = std::string("/tmp/") + stem + "-XXXXXX";
  const int fd = mkstemp(pattern.data());
  if (fd >= 0) ::close(fd);
  return pattern;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reads a line from fd within the deadline; empty if none arrived.
std::string read_line(int fd, Clock::time_point deadline) {
  std::string line;
  char c = 0;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (poll(&p, 1, static_cast<int>(std::max<long>(left, 1))) <= 0) continue;
    const ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) break;
    if (c == '\n') return line;
    line.push_back(c);
  }
  return {};
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> args, std::string binary) {
  stderr_path_ = temp_path("loadlab-test-stderr");
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> full = {binary};
  const auto given = [&](const char* flag) {
    return std::find(args.begin(), args.end(), flag) != args.end();
  };
  if (!given("--host")) full.insert(full.end(), {"--host", "127.0.0.1"});
  if (!given("--port")) full.insert(full.end(), {"--port", "0"});
  full.insert(full.end(), args.begin(), args.end());
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    die_with_test(parent);
    dup2(out[1], STDOUT_FILENO);
    const int err = open(stderr_path_.c_str(), O_WRONLY | O_TRUNC);
    if (err >= 0) dup2(err, STDERR_FILENO);
    ::close(out[0]);
    auto argv = to_argv(full);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(out[1]);
  const std::string line = read_line(out[0], Clock::now() + std::chrono::seconds(60));
  ::close(out[0]);  // the server prints nothing else on stdout
  std::smatch match;
  static const std::regex kPort(R"("port":(\d+))");
  if (!std::regex_search(line, match, kPort)) {
    signal(SIGKILL);
    wait_exit(std::chrono::seconds(5));
    throw std::runtime_error("server did not report a port; stderr:\n" + stderr_text());
  }
  port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
  static const std::regex kTlsPort(R"("tls_port":(\d+))");
  if (std::regex_search(line, match, kTlsPort))
    tls_port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
  static const std::regex kFingerprint(R"re("tls_fingerprint_sha256":"([0-9A-F:]+)")re");
  if (std::regex_search(line, match, kFingerprint)) tls_fingerprint_ = match[1].str();
}

ServerProcess::~ServerProcess() {
  if (!reaped_ && pid_ > 0) {
    signal(SIGTERM);
    if (!wait_exit(std::chrono::seconds(15))) {
      signal(SIGKILL);
      wait_exit(std::chrono::seconds(5));
    }
  }
  std::remove(stderr_path_.c_str());
}

void ServerProcess::signal(int signum) const {
  if (!reaped_ && pid_ > 0) ::kill(pid_, signum);
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      return decode_status(status);
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string ServerProcess::stderr_text() const { return read_file(stderr_path_); }

CommandResult run_command(const std::vector<std::string>& argv_in,
                          std::chrono::milliseconds timeout,
                          const std::function<void(pid_t)>& meanwhile) {
  const std::string out_path = temp_path("loadlab-cmd-out");
  const std::string err_path = temp_path("loadlab-cmd-err");
  std::vector<std::string> args = argv_in;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    die_with_test(parent);
    const int out = open(out_path.c_str(), O_WRONLY | O_TRUNC);
    const int err = open(err_path.c_str(), O_WRONLY | O_TRUNC);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    auto argv = to_argv(args);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  const auto deadline = Clock::now() + timeout;
  if (meanwhile) meanwhile(pid);
  int status = 0;
  int code = -1;
  while (true) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      code = decode_status(status);
      break;
    }
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      code = -2;  // timed out
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CommandResult result{code, read_file(out_path), read_file(err_path)};
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return result;
}

}  // namespace loadlab::test
