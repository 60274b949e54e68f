#include "server/loop_context.h"

#include <netinet/in.h>

#include <spdlog/spdlog.h>

#include "server/connection.h"

namespace loadlab::server {
namespace {

// Enough for a burst of pipelined requests per read; shared by every connection of the loop
// because llhttp consumes a read synchronously, before the next one lands in it.
constexpr std::size_t kReadBufferBytes = 64 * 1024;

}  // namespace

LoopContext::LoopContext(SharedState& shared, unsigned index, const sockaddr* address)
    : shared_(shared),
      index_(index),
      metrics_(shared.metrics.loop(index)),
      drain_signal_(AsyncSignal::create<&LoopContext::on_drain_requested>(loop_.get(), this)),
      close_all_signal_(AsyncSignal::create<&LoopContext::on_close_all_requested>(loop_.get(), this)),
      mailbox_signal_(AsyncSignal::create<&LoopContext::on_mailbox>(loop_.get(), this)),
      read_buffer_(kReadBufferBytes) {
  // The signals must not keep a drained loop alive: only the listener and connections do.
  drain_signal_.unref();
  close_all_signal_.unref();
  mailbox_signal_.unref();

  uv_tcp_t* tcp = listener_.get();
  uv_check(uv_tcp_init_ex(loop_.get(), tcp, address->sa_family), "uv_tcp_init_ex");
  tcp->data = this;
  // libuv 1.44 has no UV_TCP_REUSEPORT: set it on the fd before bind so every loop's
  // listener shares the port and the kernel spreads connections across them.
  uv_os_fd_t fd = -1;
  uv_check(uv_fileno(listener_.base(), &fd), "uv_fileno");
  const int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    uv_check(uv_translate_sys_error(errno), "setsockopt(SO_REUSEPORT)");
  }
  uv_check(uv_tcp_bind(tcp, address, 0), "bind");
}

LoopContext::~LoopContext() {
  // Connections free themselves from their close callbacks, which the loop's destructor runs.
  std::vector<Connection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection);
  for (Connection* connection : open) connection->close();
  listener_.reset();
}

std::uint16_t LoopContext::bound_port() const {
  sockaddr_storage storage{};
  int length = sizeof storage;
  uv_check(uv_tcp_getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&storage), &length), "getsockname");
  if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

void LoopContext::listen() {
  uv_check(uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), static_cast<int>(shared_.config.backlog),
                     [](uv_stream_t* server, int status) { owner_of<LoopContext>(server)->on_connection(status); }),
           "listen");
}

void LoopContext::on_connection(int status) {
  if (status < 0) {
    // EMFILE and friends: libuv's reserve-fd trick already accepted and closed the pending
    // connection, so there is no busy loop; count it and go on.
    metrics_.refused.add();
    spdlog::warn("loop {}: accept failed: {}", index_, uv_strerror(status));
    return;
  }
  auto* connection = new Connection(*this, next_connection_id_++);
  if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_.get()), connection->stream()) != 0) {
    metrics_.refused.add();
    connection->close();
    return;
  }
  if (shared_.open_connections.load(std::memory_order_relaxed) > shared_.config.max_connections ||
      draining_) {
    metrics_.refused.add();
    connection->close();
    return;
  }
  metrics_.accepted.add();
  connections_.emplace(connection->id(), connection);
  connection->start();
}

void LoopContext::forget(Connection* connection) { connections_.erase(connection->id()); }

void LoopContext::complete(ExchangeRef ref, int status, std::string_view body, std::string_view extra_headers) {
  const auto it = connections_.find(ref.connection_id);
  if (it == connections_.end()) return;  // the client left; nobody to answer
  it->second->complete(ref.seq, status, body, extra_headers);
}

void LoopContext::post(Completion completion) {
  {
    std::lock_guard lock(mailbox_mutex_);
    mailbox_.push_back(std::move(completion));
  }
  mailbox_signal_.send();
}

void LoopContext::on_mailbox() {
  std::vector<Completion> arrived;
  {
    std::lock_guard lock(mailbox_mutex_);
    arrived.swap(mailbox_);
  }
  for (const Completion& c : arrived) complete(c.ref, c.status, c.body, c.extra_headers);
}

void LoopContext::on_drain_requested() {
  if (draining_) return;
  draining_ = true;
  listener_.reset();  // stop accepting: new connections are refused by the kernel
  std::vector<Connection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection);
  for (Connection* connection : open) connection->begin_drain();
}

void LoopContext::on_close_all_requested() {
  listener_.reset();
  draining_ = true;
  std::vector<Connection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection);
  for (Connection* connection : open) connection->close();
}

}  // namespace loadlab::server
