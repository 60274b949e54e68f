#include "loadgen/live_endpoint.h"

#include <netinet/in.h>

#include <cstring>
#include <stdexcept>

#include "common/decimal.h"

namespace loadlab::loadgen {
namespace {

constexpr std::size_t kMaxRequestHead = 8 * 1024;
constexpr std::uint64_t kReadTimeoutMs = 5000;
constexpr std::size_t kMaxExchanges = 64;  // more at once are closed at once

std::string describe(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&address);
    uv_ip6_name(a, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&address);
  uv_ip4_name(a, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
}

std::string answer(int status, const char* reason, const std::string& body, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                    "\r\nServer: loadlab-loadgen\r\nConnection: close\r\nContent-Type: " +
                    (status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain") +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (status == 405) out += "Allow: GET, HEAD\r\n";
  out += "\r\n";
  if (!head) out += body;
  return out;
}

}  // namespace

sockaddr_storage parse_listen_address(const std::string& text) {
  std::string host = "127.0.0.1";
  std::string port_text = text;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string::npos)
      throw std::invalid_argument("--metrics-listen: expected [ADDRESS]:PORT, got '" + text + "'");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host == "localhost") host = "127.0.0.1";
  }
  const auto port = parse_decimal_u64(port_text);
  if (!port || *port > 65535)
    throw std::invalid_argument("--metrics-listen: bad port in '" + text + "'");
  sockaddr_storage address{};
  const int p = static_cast<int>(*port);
  if (uv_ip4_addr(host.c_str(), p, reinterpret_cast<sockaddr_in*>(&address)) != 0 &&
      uv_ip6_addr(host.c_str(), p, reinterpret_cast<sockaddr_in6*>(&address)) != 0) {
    throw std::invalid_argument("--metrics-listen: '" + host +
                                "' is not an IP address (e.g. 127.0.0.1:9464, [::1]:9464, "
                                "0.0.0.0:9464 for every interface)");
  }
  return address;
}

// One connection: read a request head, answer, shut down, read (and drop) until the client
// closes or the timer fires, then close. Reading to the end before closing keeps the kernel
// from resetting the connection over unread bytes, which could lose the answer.
class LiveEndpoint::Exchange {
 public:
  Exchange(LiveEndpoint& endpoint) : endpoint_(endpoint), timer_(endpoint.loop_) {}

  bool accept(uv_stream_t* server) {
    if (tcp_.init(endpoint_.loop_) < 0 || uv_accept(server, tcp_.get()) < 0) return false;
    timer_.start<&Exchange::on_timeout>(this, kReadTimeoutMs);
    return tcp_.read_start<&Exchange::buffer, &Exchange::on_read>(this) == 0;
  }
  // Drops the socket (no callback of it reaches this object again); the endpoint frees the
  // exchange later, never from inside its own callback.
  void close() {
    closing_ = true;
    timer_.stop();
    tcp_.close();
  }
  bool closed() const { return closing_; }

 private:
  uv_buf_t buffer() { return uv_buf_init(chunk_.data(), static_cast<unsigned>(chunk_.size())); }

  void on_read(ssize_t nread, const uv_buf_t* buf) {
    if (nread == 0 || closing_) return;
    if (nread < 0) return close();
    if (answered_) return;  // dropped: the answer is out
    head_.append(buf->base, static_cast<std::size_t>(nread));
    if (head_.find("\r\n\r\n") != std::string::npos || head_.find("\n\n") != std::string::npos) {
      respond();
    } else if (head_.size() > kMaxRequestHead) {
      send(answer(431, "Request Header Fields Too Large", "request head too large\n", false));
    }
  }

  void respond() {
    const auto line_end = head_.find_first_of("\r\n");
    const std::string_view line = std::string_view(head_).substr(0, line_end);
    const auto space = line.find(' ');
    const auto second = space == std::string_view::npos ? space : line.find(' ', space + 1);
    if (second == std::string_view::npos || !line.substr(second + 1).starts_with("HTTP/1.")) {
      return send(answer(400, "Bad Request", "expected 'GET /metrics HTTP/1.1'\n", false));
    }
    const std::string_view method = line.substr(0, space);
    std::string_view path = line.substr(space + 1, second - space - 1);
    path = path.substr(0, path.find('?'));
    const bool head = method == "HEAD";
    if (method != "GET" && !head)
      return send(answer(405, "Method Not Allowed", "GET /metrics\n", false));
    if (path != "/metrics") return send(answer(404, "Not Found", "GET /metrics\n", head));
    std::string body;
    endpoint_.render_(body);
    send(answer(200, "OK", body, head));
  }

  void send(std::string bytes) {
    answered_ = true;
    out_ = std::move(bytes);
    const uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
    if (tcp_.write<&Exchange::on_write>(this, &buf, 1) < 0) return close();
    tcp_.shutdown();
  }

  void on_write(int status) {
    if (status < 0) close();
  }
  void on_timeout() { close(); }

  LiveEndpoint& endpoint_;
  TcpStream<> tcp_;
  Timer timer_;
  std::array<char, 4096> chunk_{};
  std::string head_;
  std::string out_;
  bool answered_ = false;
  bool closing_ = false;
};

LiveEndpoint::LiveEndpoint(uv_loop_t* loop, const sockaddr_storage& address, Render render)
    : loop_(loop), render_(std::move(render)) {
  uv_check(listener_.init(loop), "uv_tcp_init");
  const std::string asked = describe(address);
  if (const int rc =
          uv_tcp_bind(listener_.handle(), reinterpret_cast<const sockaddr*>(&address), 0);
      rc < 0)
    throw std::runtime_error("--metrics-listen " + asked + ": " + uv_strerror(rc));
  listener_.handle()->data = this;
  if (const int rc = uv_listen(listener_.get(), 64,
                               [](uv_stream_t* server, int status) {
                                 owner_of<LiveEndpoint>(server)->on_connection(status);
                               });
      rc < 0)
    throw std::runtime_error("--metrics-listen " + asked + ": " + uv_strerror(rc));
  sockaddr_storage bound{};
  int length = sizeof bound;
  uv_tcp_getsockname(listener_.handle(), reinterpret_cast<sockaddr*>(&bound), &length);
  bound_ = describe(bound);
}

LiveEndpoint::~LiveEndpoint() { close(); }

void LiveEndpoint::close() {
  listener_.close();
  // Dropping an exchange drops its handles; none of their callbacks reach it afterwards.
  exchanges_.clear();
}

void LiveEndpoint::on_connection(int status) {
  if (status < 0) return;
  exchanges_.remove_if([](const auto& e) { return e->closed(); });
  auto exchange = std::make_unique<Exchange>(*this);
  Exchange* raw = exchange.get();
  exchanges_.push_back(std::move(exchange));
  // Accepted even when over the bound (libuv stops reading the listener until it is), then
  // closed at once.
  if (!raw->accept(listener_.get()) || exchanges_.size() > kMaxExchanges) raw->close();
}

}  // namespace loadlab::loadgen
