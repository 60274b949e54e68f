#include "tests/loadgen/tls_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string_view>

#include "common/tls_session.h"

namespace loadlab::test {
namespace {

constexpr int kPollMs = 50;  // how soon a connection thread sees stop_

// Sends every byte of ciphertext the session has; false when the socket is gone.
bool flush(int fd, TlsSession& session) {
  while (session.pending_output_bytes() > 0) {
    const auto pending = session.pending_output();
    const ssize_t sent = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    session.consume_output(static_cast<std::size_t>(sent));
  }
  return true;
}

bool asks_to_close(std::string_view head) {
  for (const char* spelling : {"Connection: close", "connection: close", "Connection: Close"})
    if (head.find(spelling) != std::string_view::npos) return true;
  return false;
}

}  // namespace

TlsServer::TlsServer(TlsServerConfig config)
    : close_delimited_(config.close_delimited),
      close_notify_(config.close_notify),
      certificate_(config.certificate),
      context_(TlsContext::server(certificate_, config.tls)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 128) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("TlsServer: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TlsServer::~TlsServer() {
  stop_ = true;
  acceptor_.join();
  for (auto& connection : connections_) connection.join();
  ::close(listener_);
}

void TlsServer::accept_loop() {
  while (!stop_) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, kPollMs) <= 0) continue;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(connections_mutex_);
    connections_.emplace_back([this, fd] {
      serve(fd);
      ::close(fd);
    });
  }
}

void TlsServer::serve(int fd) {
  TlsSession session(context_);
  std::string requests;  // plaintext received, not yet answered
  char buffer[16384];
  bool counted = false;
  while (!stop_) {
    pollfd ready{fd, POLLIN, 0};
    const int polled = ::poll(&ready, 1, kPollMs);
    if (polled < 0) return;
    if (polled == 0) continue;
    const ssize_t received = ::recv(fd, buffer, sizeof buffer, 0);
    if (received <= 0) return;
    session.feed({buffer, static_cast<std::size_t>(received)});
    for (;;) {
      const auto result = session.read(buffer);
      if (result.status != TlsSession::ReadStatus::kData) break;
      requests.append(buffer, result.bytes);
    }
    if (!counted && session.handshake_done()) {
      counted = true;
      ++handshakes_;
      if (session.resumed()) ++resumed_;
    }
    bool closing = session.failed();
    for (auto end = requests.find("\r\n\r\n"); end != std::string::npos && !closing;
         end = requests.find("\r\n\r\n")) {
      closing = asks_to_close(std::string_view(requests).substr(0, end));
      requests.erase(0, end + 4);
      ++requests_;
      if (close_delimited_) {
        session.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nok");
        if (close_notify_) session.shutdown();
        flush(fd, session);
        return;  // the caller closes the socket: a FIN, after the close_notify or bare
      }
      session.write(closing ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                            : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
    if (!flush(fd, session) || closing) return;  // a failure's alert went out with the flush
  }
}

}  // namespace loadlab::test
