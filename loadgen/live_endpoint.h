// --metrics-listen: the loadgen's own Prometheus endpoint, served from the observer's loop
// while a run goes. Minimal HTTP/1.1: one request per connection, answered and closed
// (Connection: close). GET or HEAD /metrics gets the exposition; another path 404, another
// method 405, anything unreadable 400; a client that sends nothing is cut off after a few
// seconds. None of it can stall the run: the measuring engines never wait for this loop.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include "common/uv_handle.h"
#include "common/uv_stream.h"

namespace loadlab::loadgen {

// "9464" (loopback), "127.0.0.1:9464", "[::1]:0", "0.0.0.0:9464" (every interface: asked for
// by name). Throws std::invalid_argument naming what is wrong.
sockaddr_storage parse_listen_address(const std::string& text);

class LiveEndpoint {
 public:
  using Render = std::function<void(std::string&)>;

  // Binds and listens (throws std::runtime_error when it cannot); `render` writes the body.
  LiveEndpoint(uv_loop_t* loop, const sockaddr_storage& address, Render render);
  ~LiveEndpoint();
  LiveEndpoint(const LiveEndpoint&) = delete;
  LiveEndpoint& operator=(const LiveEndpoint&) = delete;

  // "127.0.0.1:9464", "[::1]:40321": the address bound (port 0 resolved).
  const std::string& bound() const { return bound_; }
  void close();

 private:
  class Exchange;
  void on_connection(int status);

  uv_loop_t* loop_;
  TcpStream<> listener_;
  Render render_;
  std::string bound_;
  std::list<std::unique_ptr<Exchange>> exchanges_;
};

}  // namespace loadlab::loadgen
