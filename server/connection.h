// One client connection: it owns its socket, its llhttp parser, its timers and the queue of
// requests whose responses are pending. It speaks HTTP/1.1 and knows no endpoint: each request
// goes to the handler the route table names (server/handlers/). It frees itself from the socket's
// close callback, never earlier, so no libuv callback can reach freed memory.
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/uv_handle.h"
#include "common/uv_stream.h"
#include "server/exchange_queue.h"
#include "server/handlers/handler.h"
#include "server/request_validation.h"

namespace loadlab {
class TlsContext;
class TlsSession;
}  // namespace loadlab

namespace loadlab::server {

class LoopContext;

class Connection {
 public:
  // `tls` (null: plain HTTP) puts a TLS session under HTTP/1.1: reads are decrypted before
  // llhttp sees them, responses encrypted before the socket does (see "TLS transport" in
  // connection.cpp).
  Connection(LoopContext& loop, std::uint64_t id, const TlsContext* tls = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::uint64_t id() const { return id_; }
  uv_stream_t* stream() { return tcp_.get(); }

  void start();
  // Shutdown: answer what is in flight with "Connection: close", take no new requests.
  void begin_drain();
  // Closes now; in-flight requests are dropped. Idempotent.
  void close();
  // A handler's later answer (Reply::later) to request `seq`.
  void complete(std::uint64_t seq, int status, std::string_view body,
                std::string_view extra_headers);
  void complete(std::uint64_t seq, const Response& response);
  // The body source of request `seq` has a piece ready (it said kWait before).
  void body_ready(std::uint64_t seq);

  // llhttp callbacks (public only for the settings table in connection.cpp).
  int on_message_begin();
  int on_url(const char* at, std::size_t length);
  int on_version(const char* at, std::size_t length);
  int on_version_complete();
  int on_header_field(const char* at, std::size_t length);
  int on_header_field_complete();
  int on_header_value(const char* at, std::size_t length);
  int on_header_value_complete();
  int on_headers_complete();
  int on_body(const char* at, std::size_t length);
  int on_message_complete();

 private:
  enum class ReadState : std::uint8_t {
    kReading,    // parsing requests as they arrive
    kPaused,     // too many pending responses: socket and parser paused (back-pressure)
    kStopped,    // no more requests on this connection (close after the last response)
    kLingering,  // final response sent, FIN sent: discarding input until the peer closes
  };

  uv_buf_t read_buffer();
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_write(int status);
  void on_write_stalled();
  void on_continue_written(int status);
  void on_closed();

  void feed(const char* data, std::size_t length);
  // Where llhttp was paused so the octets before could be checked (see FramingScanner).
  enum class Checkpoint : std::uint8_t { kNone, kHeadersComplete, kMessageComplete };
  int pass_checkpoint(Checkpoint checkpoint, const char* at);
  bool scan_framing(const char* to);
  int check_headers();
  int finish_message();
  void resume_reading();
  void set_reading(bool reading);
  void stop_requests();
  Exchange& begin_exchange(std::uint64_t now_ns);
  void dispatch();
  void respond(Exchange& exchange, const Response& response);
  void respond_error(Exchange& exchange, int status, std::string_view message,
                     std::string_view allow = {});
  void fail_request(int status, std::string_view message);
  // Appends the source's next piece to the exchange's output, framed; kReady if there is
  // anything to write, kStreaming if the source has nothing yet.
  void pull(Exchange& exchange);
  void flush();
  // Retires the exchanges just written; true if the connection is now closing.
  bool finish_writes();
  // Enough queued (--max-pipeline responses or --max-queued-response-bytes): stop reading.
  bool backlogged() const;
  void after_idle_change();

  // TLS transport (connection_tls.cpp): the seam between the socket and HTTP/1.1.
  void read_tls(const char* data, std::size_t length);
  void read_tls_plaintext();
  void on_tls_failed();
  void on_tls_eof();
  void note_tls_handshake();
  void count_tls_failure(int reason);
  // Encrypts the responses in `bufs`, then send_tls_output().
  int write_tls(const uv_buf_t* bufs, std::size_t count);
  // Ciphertext to the socket: 1 all of it is in the kernel, 0 a uv_write is pending
  // (on_tls_written continues), < 0 the socket failed.
  int send_tls_output();
  void on_tls_written(int status);
  void send_fin();

  enum class Deadline : std::uint8_t { kNone, kHeaders, kIdle, kLinger };
  void set_deadline(Deadline kind, std::uint64_t timeout_ms);
  void on_deadline_timer();
  void on_header_timeout();
  void on_idle_timeout();
  void start_lingering_close();
  // Closes with RST instead of FIN (/fault/reset).
  void abort();
  int reject(int status, std::string message);

  LoopContext& loop_;
  const std::uint64_t id_;
  // Two writes at once at most: the responses, and a 100 Continue (slots below).
  enum WriteSlot : std::size_t { kResponseWrite, kContinueWrite };
  TcpStream<2> tcp_;
  llhttp_t parser_{};
  Timer deadline_timer_;
  Timer write_timer_;  // armed while a uv_write waits on a client that is not reading
  Deadline deadline_ = Deadline::kNone;
  std::uint64_t deadline_at_ms_ = 0;     // loop time (uv_now) when the deadline expires
  std::uint64_t deadline_armed_ms_ = 0;  // loop time the timer is armed for
  ExchangeQueue exchanges_;
  std::unique_ptr<TlsSession> tls_;  // null on the plain port
  std::vector<char> tls_out_;  // ciphertext in the pending uv_write (swaps with the session's)
  bool tls_write_pending_ = false;
  bool tls_handshake_noted_ = false;

  // The request being parsed. Its pieces may span reads, so they are copied (into buffers
  // that keep their capacity across requests).
  std::string target_;
  std::string header_field_;
  std::string header_value_;
  std::uint64_t header_bytes_ = 0;
  std::uint64_t body_bytes_ = 0;
  // The header section as "name:value\r\n" lines, kept only when the request's route reads
  // its header fields (RoutePath::wants_headers, decided at the first field), so /N pays
  // nothing for them.
  std::string header_lines_;
  bool headers_routed_ = false;
  bool collect_headers_ = false;
  bool in_message_ = false;
  bool expect_continue_ = false;
  int rejected_status_ = 0;  // set by a callback that refuses the request (413, 414, 431, ...)
  std::string rejected_message_;
  RequestValidator validator_;
  FramingScanner framing_;
  const char* scan_from_ = nullptr;  // the first octet of the buffer being parsed not yet scanned
  Checkpoint checkpoint_ = Checkpoint::kNone;

  std::string pending_input_;  // bytes not yet parsed while paused
  std::uint64_t next_seq_ = 0;
  std::size_t writing_ = 0;         // exchanges in the uv_write in progress
  std::uint64_t queued_bytes_ = 0;  // bytes of the responses in exchanges_, until written
  ReadState read_state_ = ReadState::kReading;
  bool reading_ = false;
  bool continue_pending_ = false;
  bool draining_ = false;
  bool closing_ = false;
  bool dispatching_ = false;  // inside a handler's handle(): complete() must not write
  bool aborting_ = false;     // abort(): RST, no TLS close_notify
};

}  // namespace loadlab::server
