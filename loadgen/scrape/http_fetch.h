// One GET at a time over plain HTTP/1.1 with Connection: close, on a uv loop: what the
// scraper reads a target's /metrics with. Apart from the measured connections on purpose: it
// runs on the observer's loop, its requests are never counted as the run's, and it keeps the
// whole (bounded) body, which the measuring connections never do.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "common/uv_handle.h"
#include "common/uv_stream.h"
#include "loadgen/target.h"

namespace loadlab::loadgen {

struct FetchResult {
  int status = 0;      // 0: no HTTP answer (see error)
  std::string server;  // the Server header
  std::string body;
  std::string error;  // empty: an answer came (any status)
};

// A /metrics larger than this is not read (a runaway target costs no unbounded memory).
inline constexpr std::size_t kMaxFetchBytes = 8 * 1024 * 1024;

// Parses a whole close-delimited (or framed) HTTP/1.x response; sets status, server, body or
// error.
void parse_fetched_response(std::string_view raw, FetchResult& result);

class HttpFetch {
 public:
  using Done = std::function<void(FetchResult)>;

  explicit HttpFetch(uv_loop_t* loop) : loop_(loop), timer_(loop) {}
  HttpFetch(const HttpFetch&) = delete;
  HttpFetch& operator=(const HttpFetch&) = delete;

  // Starts a GET of target.path_template; `done` is called once, from the loop, unless
  // cancel() comes first. One at a time.
  void get(const Target& target, std::uint64_t timeout_ms, Done done);
  bool busy() const { return static_cast<bool>(done_); }
  void cancel();

 private:
  void on_connect(int status);
  void on_write(int status);
  uv_buf_t read_buffer();
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_timeout();
  void finish(std::string error);

  uv_loop_t* loop_;
  TcpStream<> tcp_;
  Timer timer_;
  std::string request_;
  std::string response_;
  std::array<char, 64 * 1024> chunk_{};
  Done done_;
};

}  // namespace loadlab::loadgen
