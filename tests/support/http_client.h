// A deliberately simple blocking HTTP/1.1 client over a real loopback socket, for tests:
// it sends exactly the bytes a test gives it, so malformed and pipelined requests are easy.
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace loadlab::test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const;
};

// How a TcpClient speaks: plain HTTP, or HTTP over TLS (OpenSSL, blocking, no certificate
// verification: these clients test the server's HTTP, tests/server/tls_test.cpp its TLS).
enum class Transport { kPlain, kTls, kTls12 };
const char* to_string(Transport transport);

class TcpClient {
 public:
  explicit TcpClient(std::uint16_t port, const char* host = "127.0.0.1");
  // With TLS, connected() is false unless the handshake succeeded too.
  TcpClient(std::uint16_t port, Transport transport, const char* host = "127.0.0.1");
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // TLS: the negotiated version ("TLSv1.3") and ALPN protocol; whether the server's
  // close_notify arrived (a clean TLS close, not a bare FIN).
  std::string tls_version() const;
  std::string alpn() const;
  bool close_notify_received() const { return close_notify_; }
  int fd() const { return fd_; }
  void send(const std::string& bytes);
  // One response (Content-Length framed; HEAD responses have no body when head_request).
  std::optional<HttpResponse> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(60), bool head_request = false);
  // True if the server closed the connection (EOF or reset) within the timeout.
  bool wait_closed(std::chrono::milliseconds timeout);
  // Shuts both directions down: unblocks another thread blocked in send() on this socket.
  void shutdown();
  void close();

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  bool handshake(Transport transport);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool close_notify_ = false;
  std::string buffer_;
  bool eof_ = false;
};

// Convenience: one GET on a fresh connection that asks to close.
std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& target,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(60));
std::optional<HttpResponse> http_get(std::uint16_t port, Transport transport,
                                     const std::string& target,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

std::string get_request(const std::string& target, const std::string& extra_headers = "");

// A non-blocking connection with a 4 KB receive buffer, for a client that sends and never
// reads: the server's responses back up after a few KB. The descriptor (the caller closes
// it), or -1.
int connect_non_reading(std::uint16_t port);

}  // namespace loadlab::test
