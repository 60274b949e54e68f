#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace loadlab::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  const auto end = text.find_last_not_of(" \t");
  return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

// One client context per transport for the whole test process (SSL_CTX is thread-safe).
SSL_CTX* client_context(Transport transport) {
  static SSL_CTX* const contexts[2] = {[] {
                                         SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
                                         SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
                                         static const unsigned char alpn[] = "\x08http/1.1";
                                         SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
                                         return ctx;
                                       }(),
                                       [] {
                                         SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
                                         SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
                                         SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
                                         return ctx;
                                       }()};
  return contexts[transport == Transport::kTls12 ? 1 : 0];
}

void set_receive_timeout(int fd, long milliseconds) {
  timeval tv{milliseconds / 1000, (milliseconds % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

}  // namespace

const char* to_string(Transport transport) {
  switch (transport) {
    case Transport::kPlain:
      return "plain";
    case Transport::kTls:
      return "tls";
    case Transport::kTls12:
      return "tls12";
  }
  return "?";
}

std::string HttpResponse::header(const std::string& name) const {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

TcpClient::TcpClient(std::uint16_t port, const char* host) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, host, &address.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  const int on = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

TcpClient::TcpClient(std::uint16_t port, Transport transport, const char* host)
    : TcpClient(port, host) {
  if (transport != Transport::kPlain && fd_ >= 0 && !handshake(transport)) close();
}

bool TcpClient::handshake(Transport transport) {
  ssl_ = SSL_new(client_context(transport));
  if (ssl_ == nullptr) return false;
  SSL_set_fd(ssl_, fd_);
  SSL_set_tlsext_host_name(ssl_, "localhost");
  set_receive_timeout(fd_, 60'000);  // a server that never answers fails the test, not hangs it
  const bool done = SSL_connect(ssl_) == 1;
  ERR_clear_error();
  return done;
}

std::string TcpClient::tls_version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

std::string TcpClient::alpn() const {
  const unsigned char* data = nullptr;
  unsigned length = 0;
  if (ssl_) SSL_get0_alpn_selected(ssl_, &data, &length);
  return data ? std::string(reinterpret_cast<const char*>(data), length) : std::string();
}

TcpClient::~TcpClient() { close(); }

void TcpClient::shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void TcpClient::close() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TcpClient::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const ssize_t n =
        ssl_ != nullptr
            ? SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent))
            : ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

bool TcpClient::fill(Clock::time_point deadline) {
  if (fd_ < 0 || eof_) return false;
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  const bool buffered = ssl_ != nullptr && SSL_pending(ssl_) > 0;
  if (!buffered && poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char chunk[65536];
  ssize_t n = 0;
  if (ssl_ != nullptr) {
    // Bytes are there, but maybe not a whole record: wait for the rest, not for ever.
    set_receive_timeout(fd_, std::max<long>(left, 1));
    n = SSL_read(ssl_, chunk, sizeof chunk);
    if (n <= 0) {
      const int error = SSL_get_error(ssl_, static_cast<int>(n));
      ERR_clear_error();
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return false;
      close_notify_ = error == SSL_ERROR_ZERO_RETURN;
    }
  } else {
    n = ::recv(fd_, chunk, sizeof chunk, 0);
  }
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<HttpResponse> TcpClient::read_response(std::chrono::milliseconds timeout,
                                                     bool head_request) {
  const auto deadline = Clock::now() + timeout;
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return std::nullopt;
  }
  HttpResponse response;
  const std::string head = buffer_.substr(0, header_end);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return std::nullopt;
  response.status = std::atoi(status_line.c_str() + 9);
  while (line_end != std::string::npos) {
    const std::size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(
        line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos)
      response.headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
    line_end = next;
  }
  buffer_.erase(0, header_end + 4);
  std::size_t length = 0;
  if (!head_request && response.status >= 200 && response.status != 204 && response.status != 304) {
    length = static_cast<std::size_t>(std::stoull(
        response.header("content-length").empty() ? "0" : response.header("content-length")));
  }
  while (buffer_.size() < length) {
    if (!fill(deadline)) return std::nullopt;
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

bool TcpClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!eof_ && Clock::now() < deadline) {
    if (!fill(deadline) && !eof_) {
      if (Clock::now() >= deadline) break;
    }
  }
  return eof_;
}

std::string get_request(const std::string& target, const std::string& extra_headers) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
}

std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& target,
                                     std::chrono::milliseconds timeout) {
  return http_get(port, Transport::kPlain, target, timeout);
}

std::optional<HttpResponse> http_get(std::uint16_t port, Transport transport,
                                     const std::string& target, std::chrono::milliseconds timeout) {
  TcpClient client(port, transport);
  if (!client.connected()) return std::nullopt;
  client.send(get_request(target, "Connection: close\r\n"));
  return client.read_response(timeout);
}

int connect_non_reading(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  const int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

}  // namespace loadlab::test
