// An HTTPS peer on loopback for the loadgen's TLS tests, on the common/ TLS layer: blocking
// sockets, a thread per connection, a fixed "200 ok" to every request (keep-alive unless the
// request says Connection: close). It counts what the client did (handshakes, resumed ones,
// requests) so tests can check the loadgen's report against it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/tls_context.h"
#include "common/tls_self_signed.h"

namespace loadlab::test {

struct TlsServerConfig {
  // The server's certificate: names, validity (an expired one for the tests that need it).
  SelfSignedOptions certificate{{"localhost", "127.0.0.1"}};
  // Versions, client certificates (client_ca_file).
  TlsServerOptions tls;
  // Answers "ok" delimited by the close instead of a Content-Length, then closes: with a
  // close_notify first (a clean end of the body) or with a bare FIN (a truncation).
  bool close_delimited = false;
  bool close_notify = true;
};

class TlsServer {
 public:
  explicit TlsServer(TlsServerConfig config = {});
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  std::uint16_t port() const { return port_; }
  const SelfSignedCertificate& certificate() const { return certificate_; }
  std::uint64_t handshakes() const { return handshakes_; }
  std::uint64_t resumed() const { return resumed_; }
  std::uint64_t requests() const { return requests_; }

 private:
  void accept_loop();
  void serve(int fd);

  bool close_delimited_;
  bool close_notify_;
  SelfSignedCertificate certificate_;
  TlsContext context_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> handshakes_{0};
  std::atomic<std::uint64_t> resumed_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::mutex connections_mutex_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

}  // namespace loadlab::test
