#include "server/server.h"

#include <netdb.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace loadlab::server {
namespace {

sockaddr_storage resolve_listen_address(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw std::runtime_error("cannot resolve --host '" + host + "': " + gai_strerror(rc));
  }
  sockaddr_storage address{};
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return address;
}

void set_port(sockaddr_storage& address, std::uint16_t port) {
  if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(port);
  }
}

// Our listeners set SO_REUSEPORT, so the kernel would let them join the listeners of another
// process of the same user on the same port and quietly split its connections with it. A
// plain bind first (SO_REUSEADDR, as libuv's, so TIME_WAIT does not count) fails instead.
void ensure_port_is_free(const sockaddr_storage& address, const std::string& host,
                         std::uint16_t port) {
  if (port == 0) return;  // the kernel picks a free one
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const socklen_t length =
      address.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  const int status = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), length);
  const int error = errno;
  ::close(fd);
  if (status == 0) return;
  throw std::runtime_error(
      "cannot listen on " + host + ":" + std::to_string(port) + ": " + std::strerror(error) +
      (error == EADDRINUSE ? " (another process is listening there; pick another --port)" : ""));
}

std::string url_host(const std::string& host, const sockaddr_storage& address) {
  return address.ss_family == AF_INET6 ? "[" + host + "]" : host;
}

}  // namespace

Server::Server(const ServerConfig& config)
    : config_(config),
      shared_(config),
      sigint_(SignalWatcher::create<&Server::on_signal>(main_loop_.get(), this, SIGINT)),
      sigterm_(SignalWatcher::create<&Server::on_signal>(main_loop_.get(), this, SIGTERM)),
      drain_timer_(main_loop_.get()),
      loop_finished_(AsyncSignal::create<&Server::on_loop_finished>(main_loop_.get(), this)) {
  sockaddr_storage address = resolve_listen_address(config.host, config.port);
  ensure_port_is_free(address, config.host, config.port);
  sockaddr_storage tls_address = address;
  if (config.tls_enabled()) {
    set_port(tls_address, config.tls_port);
    ensure_port_is_free(tls_address, config.host, config.tls_port);
    tls_ = make_server_tls(config);
    shared_.tls = &tls_->context;
  }
  // The pool's processes start before any event-loop thread exists.
  pool_ = std::make_unique<WorkerPool>(config);
  shared_.prime = pool_.get();
  shared_.metrics.add_source(pool_.get());
  for (unsigned i = 0; i < config.threads; ++i) {
    loops_.push_back(std::make_unique<LoopContext>(
        shared_, i, reinterpret_cast<const sockaddr*>(&address),
        tls_ ? reinterpret_cast<const sockaddr*>(&tls_address) : nullptr));
    // With --port 0 the first bind picks the port; every other loop joins it.
    if (i == 0) set_port(address, loops_[0]->bound_port());
    if (i == 0 && tls_) set_port(tls_address, loops_[0]->bound_tls_port());
  }
  for (auto& loop : loops_) loop->listen();
  const std::uint16_t port = loops_[0]->bound_port();
  const std::string host = url_host(config.host, address);
  // One machine-readable line on stdout, so scripts and tests can find a --port 0 server.
  std::string tls_fields;
  if (tls_) {
    const std::uint16_t tls_port = loops_[0]->bound_tls_port();
    tls_fields = ",\"tls_port\":" + std::to_string(tls_port) + ",\"tls_url\":\"https://" + host +
                 ":" + std::to_string(tls_port) + "\",\"tls_fingerprint_sha256\":\"" +
                 tls_->fingerprint + "\"";
    spdlog::info("HTTPS on {}:{} (TLS 1.2 and 1.3, ALPN http/1.1)", config.host, tls_port);
  }
  std::printf("{\"event\":\"listening\",\"host\":\"%s\",\"port\":%u,\"url\":\"http://%s:%u\"%s}\n",
              config.host.c_str(), port, host.c_str(), port, tls_fields.c_str());
  std::fflush(stdout);
  spdlog::info(
      "loadlab-server {} listening on {}:{} with {} event-loop thread(s), {} /prime worker(s), max "
      "{} connections",
      LOADLAB_VERSION, config.host, port, config.threads, config.workers, config.max_connections);
}

Server::~Server() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  shared_.prime = nullptr;  // as in run(): the pool goes before the loops
}

int Server::run() {
  for (auto& loop : loops_) {
    threads_.emplace_back([this, context = loop.get()] {
      context->run();
      loops_finished_.fetch_add(1);
      loop_finished_.send();
    });
  }
  main_loop_.run();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  // The loops outlive the pool (members go in reverse order): connections they still hold
  // must not cancel jobs on a pool that is gone when they are closed.
  shared_.prime = nullptr;
  loop_finished_.close();
  pool_->stop();
  spdlog::info("drained; exiting");
  return 0;
}

void Server::on_signal(int signum) {
  if (draining_) {
    spdlog::warn("second signal ({}): exiting now without draining", strsignal(signum));
    spdlog::default_logger()->flush();
    std::_Exit(1);
  }
  draining_ = true;
  shared_.draining.store(true);
  spdlog::info("{}: draining (up to {} ms); a second signal exits at once", strsignal(signum),
               config_.drain_timeout_ms);
  for (auto& loop : loops_) loop->request_drain();
  drain_timer_.start<&Server::on_drain_timeout>(this, config_.drain_timeout_ms);
  drain_timer_.unref();
}

void Server::on_drain_timeout() {
  spdlog::warn("drain timeout: closing the connections still open");
  for (auto& loop : loops_) loop->request_close_all();
}

void Server::on_loop_finished() {
  // Async sends coalesce, so count what has actually finished rather than the wake-ups.
  if (loops_finished_.load() < loops_.size()) return;
  sigint_.close();
  sigterm_.close();
  drain_timer_.stop();
  // Not closed here: the last loop thread may not have returned from send() yet. Unreferenced,
  // it lets the main loop end; it is closed once the threads are joined.
  loop_finished_.unref();
}

}  // namespace loadlab::server
