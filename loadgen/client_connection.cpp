#include "loadgen/client_connection.h"

#include <algorithm>

#include "loadgen/engine.h"
#include "loadgen/load_plan.h"

namespace loadlab::loadgen {
namespace {

// A kept-alive connection must have been idle at least this long for a break before any answer
// to be the idle-timeout race (the server closing it as the request went out). In a closed
// loop a connection is reused microseconds after its response: a break then is the server
// closing after every response, or failing, and must show as an error, not be resent.
constexpr std::uint64_t kMinIdleForRaceNs = 1'000'000;

// After a failed connect, wait this long before the next attempt, so a run against a server
// that is down counts errors instead of spinning on refused connections.
constexpr std::uint64_t kConnectBackoffMs = 10;

// A TLS failure as a user reads it: what went wrong, and what to do about it.
std::string describe_tls_failure(const TlsFailure& failure) {
  std::string text =
      std::string("TLS failed (") + to_string(failure.kind) + "): " + failure.message;
  switch (failure.kind) {
    case TlsFailureKind::kVerifyExpired:
    case TlsFailureKind::kVerifyUnknownIssuer:
    case TlsFailureKind::kVerifyOther:
      text +=
          "; to trust the server's CA, give it with --cacert FILE; to skip verification, -k "
          "(--insecure)";
      break;
    case TlsFailureKind::kVerifyNameMismatch:
      text += "; use a host name the certificate lists, or skip verification with -k (--insecure)";
      break;
    case TlsFailureKind::kHandshake:
      text +=
          "; check --tls-min against the versions the server offers, and whether it asks for a "
          "client certificate (--cert, --key)";
      break;
    case TlsFailureKind::kNotTls:
      text += "; is this an http:// port?";
      break;
    default:
      break;
  }
  return text;
}

}  // namespace

ClientConnection::ClientConnection(EngineThread& engine) : engine_(engine), timer_(engine.loop()) {}

void ClientConnection::idle(std::uint64_t now_ns) {
  // Once only: a parked connection that the server then closes stays parked (assign()
  // reconnects it); offering it twice would let the engine hand it two requests at once.
  if (finished_ || parked_) return;
  parked_ = true;
  if (now_ns != 0) idle_since_ns_ = now_ns;
  engine_.on_idle(*this);
}

void ClientConnection::assign(std::uint64_t index, std::uint64_t intended_ns,
                              std::uint64_t now_ns) {
  parked_ = false;
  intended_ns_ = intended_ns;
  sent_ns_ = now_ns;
  engine_.note_send(intended_ns, sent_ns_);
  in_request_ = true;
  retried_ = false;
  stale_race_ = state_ == State::kConnected && idle_since_ns_ != 0 &&
                now_ns >= idle_since_ns_ + kMinIdleForRaceNs;
  shape_ = engine_.plan().shape_index(index);
  const RequestShape& shape = engine_.plan().shapes()[shape_];
  if (!shape.fixed.empty()) {
    bytes_ = shape.fixed;
  } else {
    request_.clear();
    request_.append(shape.head);
    shape.path.render(request_, engine_.random(), index);
    request_.append(shape.tail);
    bytes_ = request_;
  }
  if (state_ == State::kConnected) {
    send(true, now_ns);  // now_ns is this moment's clock: no second read for the send
  } else if (state_ == State::kClosed) {
    connect();
  }
  // kClosing: on_closed() connects.
}

void ClientConnection::connect() {
  tcp_ = TcpStream<>();  // the last one, if any, is closed and freed by its close callback
  tcp_.init(engine_.loop());
  state_ = State::kConnecting;
  ++engine_.stats().connections_opened;
  connect_ns_ = uv_hrtime();
  const int status = tcp_.connect<&ClientConnection::on_connect>(
      this, reinterpret_cast<const sockaddr*>(&engine_.plan().target().address));
  if (status < 0) {
    fail(ErrorKind::kConnect);
    return;
  }
  engine_.connect_started();
  // The loop's clock is only updated once per turn: many connects in one turn would arm their
  // timeouts from a start that is long gone, and they would fire before any I/O is looked at.
  uv_update_time(engine_.loop());
  const std::uint64_t now = uv_hrtime();
  std::uint64_t deadline = now + engine_.options().connect_timeout_ms * 1'000'000;
  // A resend's connect also stays within the request's own deadline.
  if (retried_) deadline = std::min(deadline, request_deadline_ns_);
  set_deadline_at(deadline, now);
}

void ClientConnection::set_deadline_at(std::uint64_t deadline_ns, std::uint64_t now_ns) {
  // Lazily: a request's deadline only moves forward, and the timer, armed for an earlier one,
  // re-arms itself for the rest when it fires (on_timer). Stopping and restarting a uv timer for
  // every request (two timer-heap operations) was the largest cost of the loadgen's own code
  // per request after parsing.
  deadline_ns_ = deadline_ns;
  if (timer_.active() && !waiting_ && timer_due_ns_ <= deadline_ns_) return;
  waiting_ = false;
  timer_due_ns_ = deadline_ns_;
  timer_.start<&ClientConnection::on_timer>(
      this, deadline_ns > now_ns ? (deadline_ns - now_ns + 999'999) / 1'000'000 : 0);
}

void ClientConnection::on_connect(int status) {
  engine_.connect_ended();  // runs once per started connect, cancelled ones included
  if (state_ != State::kConnecting) return;  // cancelled by close()
  if (status < 0) {
    fail(ErrorKind::kConnect);
    return;
  }
  state_ = State::kConnected;
  const std::uint64_t now = uv_hrtime();
  engine_.stats().connect_us.record((now - connect_ns_) / 1000);
  tcp_.nodelay(true);
  const int reading =
      tcp_.read_start<&ClientConnection::read_buffer, &ClientConnection::on_read>(this);
  if (reading < 0) {  // as a read error later would be
    fail(ErrorKind::kReset);
    return;
  }
  if (engine_.plan().tls() != nullptr) {
    start_tls(now);
    return;
  }
  send(false, now);
}

void ClientConnection::send(bool reused, std::uint64_t now_ns) {
  begin_request(reused, now_ns);
  write_request(now_ns);
}

void ClientConnection::begin_request(bool reused, std::uint64_t now_ns) {
  parser_.expect_response(engine_.head_requests());
  reused_ = reused;
  answered_ = false;
  // --timeout bounds the request from its first send: a resend does not restart it.
  if (!retried_) request_deadline_ns_ = now_ns + engine_.options().timeout_ms * 1'000'000;
  set_deadline_at(request_deadline_ns_, now_ns);
}

void ClientConnection::write_request(std::uint64_t now_ns) {
  written_ns_ = now_ns;
  if (tls_) {
    // Encrypted at once into the session's output: bytes_ need not outlive this call.
    if (!tls_->write(bytes_)) {
      tls_failed();
      return;
    }
    if (!flush_tls()) lost(ErrorKind::kReset);
    return;
  }
  uv_buf_t buf =
      uv_buf_init(const_cast<char*>(bytes_.data()), static_cast<unsigned>(bytes_.size()));
  // A request almost always fits the socket buffer: no write request, no extra loop turn.
  const int written = tcp_.try_write(&buf, 1);
  if (written == static_cast<int>(bytes_.size())) return;
  if (written < 0 && written != UV_EAGAIN) {
    lost(ErrorKind::kReset);  // EPIPE, ECONNRESET: the server's close is already in
    return;
  }
  if (written > 0) {
    buf.base += written;
    buf.len -= static_cast<unsigned>(written);
  }
  if (tcp_.write<&ClientConnection::on_write>(this, &buf, 1) < 0) {
    fail(ErrorKind::kReset);
    return;
  }
  writing_ = true;
}

void ClientConnection::on_write(int status) {
  writing_ = false;
  tls_out_.clear();  // keeps its capacity for the next write
  if (state_ != State::kConnected) return;
  if (status < 0) {
    if (in_request_) lost(ErrorKind::kReset);
    return;
  }
  // Ciphertext made while this write was in progress waited for it (writes stay in order).
  if (tls_ && !flush_tls()) {
    if (in_request_) {
      lost(ErrorKind::kReset);
    } else {
      close();
    }
  }
}

void ClientConnection::start_tls(std::uint64_t now_ns) {
  begin_request(false, now_ns);  // the request's deadline covers the handshake
  const Target& target = engine_.plan().target();
  tls_.emplace(*engine_.plan().tls(), target.host, target.port, &engine_.tls_sessions());
  handshake_ns_ = now_ns;
  if (tls_->handshake() == TlsSession::Handshake::kFailed) {  // e.g. a host name it cannot use
    tls_failed();
    return;
  }
  if (!flush_tls()) fail(ErrorKind::kReset);  // the ClientHello could not go out
}

bool ClientConnection::flush_tls() {
  if (writing_ || tls_->pending_output_bytes() == 0) return true;
  const auto pending = tls_->pending_output();
  uv_buf_t buf =
      uv_buf_init(const_cast<char*>(pending.data()), static_cast<unsigned>(pending.size()));
  // Most flights fit the socket buffer: no write request, no copy.
  const int written = tcp_.try_write(&buf, 1);
  if (written < 0 && written != UV_EAGAIN) return false;
  if (written > 0) tls_->consume_output(static_cast<std::size_t>(written));
  if (tls_->pending_output_bytes() == 0) return true;
  tls_->take_output(tls_out_);  // tls_out_ is empty here: the buffers swap, nothing is copied
  buf = uv_buf_init(tls_out_.data(), static_cast<unsigned>(tls_out_.size()));
  if (tcp_.write<&ClientConnection::on_write>(this, &buf, 1) < 0) return false;
  writing_ = true;
  return true;
}

void ClientConnection::on_handshake_done() {
  const std::uint64_t now = uv_hrtime();
  RunStats& stats = engine_.stats();
  stats.tls_handshake_us.record((now - handshake_ns_) / 1000);
  ++stats.tls_handshakes;
  if (tls_->resumed()) ++stats.tls_resumed;
  if (!in_request_) {  // cannot happen: a connect always carries a request; be safe anyway
    close();
    return;
  }
  write_request(now);
}

void ClientConnection::tls_failed() {
  RunStats& stats = engine_.stats();
  if (stats.tls_failure.empty()) stats.tls_failure = describe_tls_failure(tls_->failure());
  (void)flush_tls();  // the alert, for the server's logs
  if (in_request_) {
    fail(ErrorKind::kTls);
  } else {
    close();
  }
}

void ClientConnection::on_tls_read(const char* data, std::size_t size) {
  tls_->feed({data, size});
  if (!tls_->handshake_done()) {
    const auto state = tls_->handshake();
    if (state == TlsSession::Handshake::kFailed) {
      tls_failed();
      return;
    }
    if (state == TlsSession::Handshake::kNeedMore) {
      if (!flush_tls()) lost(ErrorKind::kReset);
      return;
    }
    on_handshake_done();
    if (state_ != State::kConnected) return;
  }
  // The ciphertext is in the session now: the same buffer takes the plaintext.
  const uv_buf_t plaintext = engine_.read_buffer();
  for (;;) {
    const auto result = tls_->read({plaintext.base, plaintext.len});
    if (result.status == TlsSession::ReadStatus::kData) {
      if (on_response_bytes(plaintext.base, result.bytes)) continue;
      // A connection that closes after its response may hold records behind it: the TLS 1.3
      // session tickets some servers send after their first response. Read now, they let the
      // next connection resume; the plaintext, if any, is nobody's.
      if (state_ == State::kClosing) {
        while (tls_->read({plaintext.base, plaintext.len}).status ==
               TlsSession::ReadStatus::kData) {
        }
      }
      return;
    }
    if (result.status == TlsSession::ReadStatus::kClosed) {  // close_notify: a clean EOF
      on_end_of_stream(UV_EOF, /*clean_tls_end=*/true);
      return;
    }
    if (result.status == TlsSession::ReadStatus::kFailed) {
      tls_failed();
      return;
    }
    break;  // kNeedMore
  }
  // Reading makes output too: TLS 1.2 handshake ends, key updates, alerts.
  if (!flush_tls()) {
    if (in_request_) {
      lost(ErrorKind::kReset);
    } else {
      close();
    }
  }
}

uv_buf_t ClientConnection::read_buffer() { return engine_.read_buffer(); }

void ClientConnection::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (state_ != State::kConnected || nread == 0) return;
  // Every byte received counts, whichever read completes a response (or EOF ends its body).
  if (nread > 0) engine_.stats().bytes_read += static_cast<std::uint64_t>(nread);
  if (nread < 0) {
    on_end_of_stream(nread, /*clean_tls_end=*/false);
    return;
  }
  if (tls_) {
    on_tls_read(buf->base, static_cast<std::size_t>(nread));
    return;
  }
  on_response_bytes(buf->base, static_cast<std::size_t>(nread));
}

void ClientConnection::on_end_of_stream(ssize_t nread, bool clean_tls_end) {
  if (!in_request_) {
    close();  // the server closed an idle keep-alive connection: reconnect on the next request
    return;
  }
  if (tls_ && !tls_->handshake_done()) {
    tls_->transport_closed();  // the server hung up on the handshake
    tls_failed();
    return;
  }
  if (nread != UV_EOF) {
    lost(ErrorKind::kReset);  // ECONNRESET, mostly: the server aborted the connection
    return;
  }
  // Over TLS only a close_notify ends a body delimited by the close: a bare FIN may be an
  // attacker's or a crash's truncation (RFC 8446 §6.1).
  if ((!tls_ || clean_tls_end) && parser_.finish() == HttpResponseParser::Result::kComplete) {
    complete_response();  // a body delimited by the close
    return;
  }
  // A FIN, not an abort: the server closed on purpose, with nothing said (the stale keep-alive
  // race among such closes is resent by lost()), or in the middle of its answer.
  lost(answered_ ? ErrorKind::kTruncated : ErrorKind::kClosed);
}

bool ClientConnection::on_response_bytes(const char* data, std::size_t size) {
  if (!in_request_) {
    close();  // bytes nobody asked for: this connection cannot be trusted any more
    return false;
  }
  if (!answered_) {
    answered_ = true;
    first_byte_ns_ = uv_hrtime();
  }
  std::size_t consumed = 0;
  switch (parser_.feed(data, size, consumed)) {
    case HttpResponseParser::Result::kNeedMore:
      return true;
    case HttpResponseParser::Result::kComplete:
      // More bytes than one response: record it, but do not reuse the connection.
      if (consumed != size) close();
      complete_response();
      return false;
    case HttpResponseParser::Result::kError:
      fail(ErrorKind::kParse);
      return false;
  }
  return false;
}

void ClientConnection::complete_response() {
  in_request_ =
      false;  // the deadline's timer stays armed: it is re-armed for the next request, if need be
  backoff_ = false;
  const std::uint64_t now = uv_hrtime();
  // A body that ends with the connection (no Content-Length) has no first byte recorded when
  // it is empty: its first byte is the end.
  engine_.stats().ttfb_us.record(((answered_ ? first_byte_ns_ : now) - written_ns_) / 1000);
  engine_.record_response(shape_, parser_.status(), (now - intended_ns_) / 1000,
                          (now - sent_ns_) / 1000, now);
  if (!parser_.server_timing().empty())
    engine_.stats().record_server_timing(parser_.server_timing());
  // A server may answer before it has read the whole request (an early 413 to a large body):
  // the rest of the request is still being written, so this connection cannot carry another.
  if (parser_.keep_alive() && engine_.options().keepalive && state_ == State::kConnected &&
      !writing_) {
    idle(now);
  } else {
    close();  // on_closed() goes on with the next request (after the write is cancelled)
  }
}

void ClientConnection::on_timer() {
  if (waiting_) {  // backoff over
    waiting_ = false;
    idle();
    return;
  }
  if (!in_request_) return;  // the deadline's request is done; the next one arms it again
  const std::uint64_t now = uv_hrtime();
  if (now < deadline_ns_) {  // armed for an earlier request: wait for the rest
    const std::uint64_t rest_ms = (deadline_ns_ - now + 999'999) / 1'000'000;
    timer_due_ns_ = deadline_ns_;
    timer_.start<&ClientConnection::on_timer>(this, rest_ms);
    return;
  }
  // A resend's connect that runs into the request's deadline is the request timing out.
  const bool connect_timed_out =
      state_ == State::kConnecting && !(retried_ && now >= request_deadline_ns_);
  fail(connect_timed_out ? ErrorKind::kConnect : ErrorKind::kTimeout);
}

void ClientConnection::fail(ErrorKind kind) {
  if (!in_request_) return;
  in_request_ = false;
  timer_.stop();
  engine_.record_error(shape_, kind, uv_hrtime());
  backoff_ = kind == ErrorKind::kConnect;
  close();
}

void ClientConnection::lost(ErrorKind kind) {
  // A server may close a kept-alive connection once it has been idle for its timeout; a request
  // sent as that close was on its way finds the connection gone before any answer. Neither side
  // did wrong, and the server never saw the request: like browsers and curl (RFC 9112 §9.3.1),
  // resend it once on a new connection, if resending is harmless, and count it. A fresh
  // connection that breaks, or a second break, is the server's doing: an error.
  if (!in_request_ || !reused_ || !stale_race_ || answered_ || retried_ ||
      !engine_.plan().idempotent()) {
    fail(kind);
    return;
  }
  retried_ = true;
  ++engine_.stats().retried_stale;
  close();  // on_closed() connects again, for the same request (bytes_ is kept)
}

void ClientConnection::close() {
  if (state_ == State::kClosed || state_ == State::kClosing) return;
  state_ = State::kClosing;
  if (!waiting_) timer_.stop();
  tcp_.close<&ClientConnection::on_closed>(this);  // cancelled connect and write call back first
}

void ClientConnection::on_closed() {
  state_ = State::kClosed;
  tls_.reset();  // its memory is not kept by idle connections; the session is in the cache
  if (finished_) return;
  if (in_request_) {
    connect();  // a request was claimed while the old connection was closing
  } else if (backoff_) {
    waiting_ = true;
    timer_.start<&ClientConnection::on_timer>(this, kConnectBackoffMs);
  } else {
    idle();
  }
}

void ClientConnection::finish() {
  finished_ = true;
  timer_.stop();
  close();
}

void ClientConnection::cancel() {
  // Connecting or waiting for its answer, the request is the loadgen's to drop: not an error
  // of the server (a connect still pending is not a connect failure either).
  if (in_request_) {
    in_request_ = false;
    engine_.record_cancelled(shape_);
  }
  finish();
}

}  // namespace loadlab::loadgen
