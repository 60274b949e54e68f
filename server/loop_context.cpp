#include "server/loop_context.h"

#include <malloc.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "server/connection.h"

namespace loadlab::server {
namespace {

// Enough for a burst of pipelined requests per read; shared by every connection of the loop
// because llhttp consumes a read synchronously, before the next one lands in it.
constexpr std::size_t kReadBufferBytes = 64 * 1024;
// glibc keeps freed memory in its arenas (only the top of the main heap is trimmed by
// itself), so after clients that made the server buffer a lot have gone, a process that
// grew by hundreds of MB would stay there. Once this much has been freed, hand it back,
// at most once a second (malloc_trim walks every arena).
constexpr std::size_t kTrimAfterBytes = 4 * 1024 * 1024;
constexpr std::uint64_t kTrimDelayMs = 1000;

}  // namespace

LoopContext::LoopContext(SharedState& shared, unsigned index, const sockaddr* address,
                         const sockaddr* tls_address)
    : shared_(shared),
      index_(index),
      metrics_(shared.metrics.loop(index)),
      drain_signal_(AsyncSignal::create<&LoopContext::on_drain_requested>(loop_.get(), this)),
      close_all_signal_(
          AsyncSignal::create<&LoopContext::on_close_all_requested>(loop_.get(), this)),
      mailbox_signal_(AsyncSignal::create<&LoopContext::on_mailbox>(loop_.get(), this)),
      trim_timer_(loop_.get()),
      read_buffer_(kReadBufferBytes) {
  // The signals must not keep a drained loop alive: only the listener and connections do.
  drain_signal_.unref();
  close_all_signal_.unref();
  mailbox_signal_.unref();
  trim_timer_.unref();
  listener_ = std::make_unique<Listener>(loop_.get(), address, index, metrics_.refused);
  if (tls_address != nullptr)
    tls_listener_ = std::make_unique<Listener>(loop_.get(), tls_address, index, metrics_.refused);
  for (std::size_t kind = 0; kind < kRouteKinds; ++kind) {
    handlers_[kind] = make_handler(static_cast<RouteKind>(kind), *this);
  }
}

LoopContext::~LoopContext() {
  // Connections free themselves from their close callbacks, which the loop's destructor runs.
  std::vector<Connection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection);
  stop_listening();
  for (Connection* connection : open) connection->close();
}

std::uint16_t LoopContext::bound_port() const { return listener_->port(); }
std::uint16_t LoopContext::bound_tls_port() const {
  return tls_listener_ ? tls_listener_->port() : 0;
}

void LoopContext::listen() {
  const int backlog = static_cast<int>(shared_.config.backlog);
  listener_->listen(backlog, [this](int fd) { on_accepted(fd, false); });
  if (tls_listener_) tls_listener_->listen(backlog, [this](int fd) { on_accepted(fd, true); });
}

void LoopContext::stop_listening() {
  listener_.reset();
  tls_listener_.reset();
}

void LoopContext::on_accepted(int fd, bool tls) {
  auto* connection = new Connection(*this, next_connection_id_++, tls ? shared_.tls : nullptr);
  if (uv_tcp_open(reinterpret_cast<uv_tcp_t*>(connection->stream()), fd) != 0) {
    ::close(fd);  // not the handle's: it never took it
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

void LoopContext::connection_closed(std::size_t buffer_bytes) {
  if (listener_) listener_->on_descriptor_freed();
  if (tls_listener_) tls_listener_->on_descriptor_freed();
  note_freed(buffer_bytes);
}

void LoopContext::note_freed(std::size_t bytes) {
  freed_since_trim_ += bytes;
  if (freed_since_trim_ >= kTrimAfterBytes && !trim_timer_.active()) {
    trim_timer_.start<&LoopContext::on_trim_timer>(this, kTrimDelayMs);
  }
}

void LoopContext::on_trim_timer() {
  freed_since_trim_ = 0;
  malloc_trim(0);
}

void LoopContext::complete(ExchangeRef ref, int status, std::string_view body,
                           std::string_view extra_headers) {
  const auto it = connections_.find(ref.connection_id);
  if (it == connections_.end()) return;  // the client left; nobody to answer
  it->second->complete(ref.seq, status, body, extra_headers);
}

void LoopContext::complete(ExchangeRef ref, const Response& response) {
  const auto it = connections_.find(ref.connection_id);
  if (it == connections_.end()) {
    if (response.source != nullptr) response.source->cancel();
    return;
  }
  it->second->complete(ref.seq, response);
}

void LoopContext::body_ready(ExchangeRef ref) {
  const auto it = connections_.find(ref.connection_id);
  if (it != connections_.end()) it->second->body_ready(ref.seq);
}

void LoopContext::post(Completion completion) {
  {
    std::lock_guard lock(mailbox_mutex_);
    mailbox_.push_back(std::move(completion));
  }
  mailbox_signal_.send();
}

void LoopContext::prime_jobs_outstanding(int delta) {
  const bool before = prime_jobs_outstanding_ > 0;
  prime_jobs_outstanding_ += delta;
  const bool after = prime_jobs_outstanding_ > 0;
  if (after && !before) mailbox_signal_.ref();
  if (before && !after) mailbox_signal_.unref();
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
  stop_listening();  // new connections are refused by the kernel
  std::vector<Connection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection);
  for (Connection* connection : open) connection->begin_drain();
}

void LoopContext::on_close_all_requested() {
  stop_listening();
  draining_ = true;
  std::vector<Connection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection);
  for (Connection* connection : open) connection->close();
}

}  // namespace loadlab::server
