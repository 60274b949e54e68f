// Fuzz target: the server's request path as a client drives it. A real Connection, on a real
// LoopContext, reads the input from a socket (a socketpair the harness holds the other end
// of), in pieces whose size the first byte picks, and runs llhttp, the router, the limits, the
// timers it arms, /prime through a stand-in pool (answered at once or never), its writes and
// its close. After each piece and at the end the loop runs until nothing more happens; the
// harness reads and discards what the server wrote, then half-closes or closes as a client
// would. ASan/UBSan and the Connection's own invariants catch what goes wrong.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "server/config.h"
#include "server/connection.h"
#include "server/loop_context.h"
#include "server/prime_service.h"
#include "server/shared_state.h"

// The harness hands the Connection one end of an AF_UNIX socketpair where the server has an
// accepted TCP socket (no ports, no TIME_WAIT, millions of times). Connection::start() sets
// TCP_NODELAY and closes a connection whose socket refuses it, which a unix socket does
// (EOPNOTSUPP): this binary's setsockopt() (it takes precedence over libc's for libuv too)
// accepts that one option on a unix socket as TCP would, and passes everything else on.
extern "C" int setsockopt(int fd, int level, int name, const void* value, socklen_t length) {
  if (level == IPPROTO_TCP && name == TCP_NODELAY) {
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_length) == 0 &&
        address.ss_family == AF_UNIX) {
      return 0;
    }
  }
  return static_cast<int>(syscall(SYS_setsockopt, fd, level, name, value, length));
}

namespace {

using namespace loadlab::server;

// Holds /prime jobs; the harness answers them (or leaves them, like a worker that is slow).
class StandInPool final : public PrimeService {
 public:
  void submit(LoopContext&, ExchangeRef ref, const PrimeRequest&) override { jobs.push_back(ref); }
  void cancel(LoopContext&, std::uint64_t connection_id) override {
    std::erase_if(jobs, [&](const ExchangeRef& job) { return job.connection_id == connection_id; });
  }
  std::vector<ExchangeRef> jobs;
};

struct Harness {
  Harness() {
    // As server/main.cpp does: a write to a client that has gone is an error, not a signal.
    std::signal(SIGPIPE, SIG_IGN);
    config.threads = 1;
    config.max_delay_ms = 2;  // delays fire within the run below, not after it
    config.max_header_bytes = 1024;
    config.max_url_bytes = 256;
    config.max_body_bytes = 512;
    config.max_pipeline = 4;
    config.max_connections = 100;
    shared = std::make_unique<SharedState>(config);
    shared->prime = &pool;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    loop = std::make_unique<LoopContext>(*shared, 0, reinterpret_cast<const sockaddr*>(&address));
  }
  ServerConfig config;
  StandInPool pool;
  std::unique_ptr<SharedState> shared;
  std::unique_ptr<LoopContext> loop;
  std::uint64_t next_id = 1;
};

bool connection_open(const Harness& h) { return h.shared->open_connections.load() > 0; }

// Runs the loop until it has nothing ready, reading what the server wrote as a client would.
// "Nothing ready": the client got no bytes and libuv has no callback pending, no handle closing
// and no timer due (uv_backend_timeout() is 0 while any is). Stopping there rather than after
// a fixed number of idle rounds saves the empty polls that cost most of each execution.
void settle(Harness& h, Connection* connection, int client, bool answer_jobs) {
  char sink[65536];
  int timer_waits = 0;
  for (int round = 0; round < 64; ++round) {
    uv_run(h.loop->loop(), UV_RUN_NOWAIT);
    bool progress = false;
    for (ssize_t n; (n = read(client, sink, sizeof sink)) > 0;) {
      progress = true;
      if (static_cast<std::size_t>(n) < sizeof sink)
        break;  // all there was (the next round reads on)
    }
    if (answer_jobs && connection_open(h) && !h.pool.jobs.empty()) {
      progress = true;
      const ExchangeRef job = h.pool.jobs.front();
      h.pool.jobs.erase(h.pool.jobs.begin());
      // Not through LoopContext::complete(): the harness did not register the connection.
      connection->complete(job.seq, 200, R"({"prime":true})", "Server-Timing: compute;dur=0.1\r\n");
    }
    if (progress) continue;
    const int next_timer_ms = uv_backend_timeout(h.loop->loop());
    if (next_timer_ms == 0) continue;  // something is ready to run
    // Let a delay (at most max_delay_ms) fire; longer timers (header, idle, linger
    // deadlines) would only make the run slow, the close at the end cancels them.
    if (next_timer_ms < 0 || next_timer_ms > 5 || ++timer_waits > 6) return;
    uv_run(h.loop->loop(), UV_RUN_ONCE);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness* harness = new Harness;  // one loop for the process, as a server thread has
  Harness& h = *harness;
  if (size == 0) return 0;
  const std::size_t piece = 1 + (data[0] & 0x3f);
  const bool answer_jobs = data[0] & 0x40;
  const bool half_close = data[0] & 0x80;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::abort();
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  auto* connection = new Connection(*h.loop, h.next_id++);
  if (uv_tcp_open(reinterpret_cast<uv_tcp_t*>(connection->stream()), fds[0]) != 0) std::abort();
  connection->start();
  // A connection the harness cannot start fuzzes nothing (every input would "pass"): say so.
  if (!connection_open(h)) {
    std::fprintf(stderr,
                 "connection_fuzz: the Connection closed as it started; the harness is broken\n");
    std::abort();
  }
  for (std::size_t at = 1; at < size && connection_open(h); at += piece) {
    const std::size_t length = std::min(piece, size - at);
    if (write(fds[1], data + at, length) < 0) break;  // the server closed
    settle(h, connection, fds[1], answer_jobs);
  }
  if (half_close) {
    shutdown(fds[1], SHUT_WR);
    settle(h, connection, fds[1], answer_jobs);
  }
  if (connection_open(h)) connection->close();
  close(fds[1]);
  while (connection_open(h)) uv_run(h.loop->loop(), UV_RUN_NOWAIT);  // its close callback frees it
  h.pool.jobs.clear();
  return 0;
}
