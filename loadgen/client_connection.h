// One client connection of the load generator: at most one request in flight (that is the
// semaphore), keep-alive reuse, reconnection when the server closes, and every failure
// classified and counted instead of stopping the run. For https:// a TlsSession sits between
// the socket and the response parser (common/tls_session.h): ciphertext in, plaintext to the
// parser; requests are encrypted and their ciphertext sent. The handshake runs after the
// connect, under the request's deadline, before the request is written.
#pragma once

#include <uv.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_response_parser.h"
#include "common/tls_session.h"
#include "common/uv_handle.h"
#include "common/uv_stream.h"
#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

class EngineThread;
struct RequestShape;

class ClientConnection {
 public:
  // Every connection goes to the run's one target; each request takes its URL from the mix.
  explicit ClientConnection(EngineThread& engine);
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Starts request `index`, which was meant to start at `intended_ns` (now, in a closed loop;
  // its slot in the schedule, in an open loop: latency counts from there, so a stalled server
  // cannot hide behind requests it delayed).
  // `now_ns`: uv_hrtime() as the caller just read it (one clock read less per request).
  void assign(std::uint64_t index, std::uint64_t intended_ns, std::uint64_t now_ns);
  // No more requests: close and stop.
  void finish();
  // The grace after -d or Ctrl-C is over: the request in flight, if any, is counted as
  // cancelled (not as an error), and the connection closes now.
  void cancel();

 private:
  enum class State : std::uint8_t { kClosed, kConnecting, kConnected, kClosing };

  void idle(std::uint64_t now_ns = 0);  // now_ns: when it became idle, if known (0: not)
  void connect();
  void send(bool reused, std::uint64_t now_ns);
  // send() in two steps, for https:// where the handshake comes between them: the request's
  // deadline and parser are set up, then (after the handshake, if any) the request goes out.
  void begin_request(bool reused, std::uint64_t now_ns);
  void write_request(std::uint64_t now_ns);
  void on_connect(int status);
  void start_tls(std::uint64_t now_ns);
  void on_tls_read(const char* data, std::size_t size);
  void on_handshake_done();
  // Sends the session's pending ciphertext; false when the socket is broken.
  bool flush_tls();
  void tls_failed();
  // The bytes of the answer (plaintext); false when the connection is done reading them.
  bool on_response_bytes(const char* data, std::size_t size);
  // The server closed (nread: UV_EOF or an error), or sent close_notify.
  // clean_tls_end: the TLS session ended with close_notify, not a bare FIN.
  void on_end_of_stream(ssize_t nread, bool clean_tls_end);
  void on_write(int status);
  uv_buf_t read_buffer();
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_timer();
  // The request (or connect) in progress fails if it is still going `timeout_ms` from now.
  void set_deadline_at(std::uint64_t deadline_ns, std::uint64_t now_ns);
  void on_closed();
  void complete_response();
  void fail(ErrorKind kind);
  // The connection broke before any byte of the answer: fail, or resend once if it was stale.
  void lost(ErrorKind kind);
  void close();

  EngineThread& engine_;
  std::size_t shape_ = 0;  // the URL of the request in flight (index into the plan's shapes)
  TcpStream<> tcp_;  // a fresh one for each connect; its requests live as long as libuv needs them
  Timer timer_;
  HttpResponseParser parser_;
  std::optional<TlsSession> tls_;  // https://: the session of the connection, from its connect
  std::vector<char> tls_out_;      // ciphertext a uv_write is sending (reused between writes)
  std::string request_;  // a request built for its own path (a URL template with placeholders)
  std::string_view
      bytes_;  // the request in flight (request_ or the URL's fixed request), kept until written
  State state_ = State::kClosed;
  bool in_request_ = false;
  bool finished_ = false;
  bool parked_ = false;      // handed to the engine as idle: it assigns the next request
  bool writing_ = false;     // request_ is in use until on_write
  bool backoff_ = false;     // the last attempt could not connect: wait before the next one
  bool waiting_ = false;     // the timer is a backoff, not a timeout
  bool reused_ = false;      // the request went out on a connection that had carried a response
  bool answered_ = false;    // some byte of the answer to the request in flight has come in
  bool retried_ = false;     // the request in flight has been resent once already
  bool stale_race_ = false;  // sent on a connection idle long enough to cross the server's close
  std::uint64_t idle_since_ns_ = 0;        // when the last response completed (0: never)
  std::uint64_t request_deadline_ns_ = 0;  // the request's own deadline, kept across a resend
  std::uint64_t intended_ns_ = 0;          // when the request should have started
  std::uint64_t sent_ns_ = 0;              // when it actually started
  std::uint64_t connect_ns_ = 0;           // when the connect in progress started
  std::uint64_t handshake_ns_ = 0;         // when the TLS handshake in progress started
  std::uint64_t written_ns_ = 0;           // when the request in flight was written
  std::uint64_t first_byte_ns_ = 0;        // when the first byte of its answer came
  std::uint64_t deadline_ns_ = 0;          // when the request or connect in progress times out
  std::uint64_t timer_due_ns_ =
      0;  // when timer_, if active and not a backoff, fires (at the latest)
};

}  // namespace loadlab::loadgen
