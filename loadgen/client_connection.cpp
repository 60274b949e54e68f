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
    send(true);
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
  engine_.stats().connect_us.record((uv_hrtime() - connect_ns_) / 1000);
  tcp_.nodelay(true);
  const int reading =
      tcp_.read_start<&ClientConnection::read_buffer, &ClientConnection::on_read>(this);
  if (reading < 0) {  // as a read error later would be
    fail(ErrorKind::kReset);
    return;
  }
  send(false);
}

void ClientConnection::send(bool reused) {
  parser_.expect_response(engine_.head_requests());
  reused_ = reused;
  answered_ = false;
  const std::uint64_t now = uv_hrtime();
  // --timeout bounds the request from its first send: a resend does not restart it.
  if (!retried_) request_deadline_ns_ = now + engine_.options().timeout_ms * 1'000'000;
  set_deadline_at(request_deadline_ns_, now);
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
  if (status < 0 && state_ == State::kConnected && in_request_) lost(ErrorKind::kReset);
}

uv_buf_t ClientConnection::read_buffer() { return engine_.read_buffer(); }

void ClientConnection::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (state_ != State::kConnected || nread == 0) return;
  // Every byte received counts, whichever read completes a response (or EOF ends its body).
  if (nread > 0) engine_.stats().bytes_read += static_cast<std::uint64_t>(nread);
  if (nread < 0) {
    if (!in_request_) {
      close();  // the server closed an idle keep-alive connection: reconnect on the next request
      return;
    }
    if (nread != UV_EOF) {
      lost(ErrorKind::kReset);  // ECONNRESET, mostly: the server aborted the connection
      return;
    }
    if (parser_.finish() == HttpResponseParser::Result::kComplete) {
      complete_response();  // a body delimited by the close
      return;
    }
    // A FIN, not an abort: the server closed on purpose, with nothing said (the stale keep-alive
    // race among such closes is resent by lost()), or in the middle of its answer.
    lost(answered_ ? ErrorKind::kTruncated : ErrorKind::kClosed);
    return;
  }
  if (!in_request_) {
    close();  // bytes nobody asked for: this connection cannot be trusted any more
    return;
  }
  answered_ = true;
  std::size_t consumed = 0;
  switch (parser_.feed(buf->base, static_cast<std::size_t>(nread), consumed)) {
    case HttpResponseParser::Result::kNeedMore:
      return;
    case HttpResponseParser::Result::kComplete:
      // More bytes than one response: record it, but do not reuse the connection.
      if (consumed != static_cast<std::size_t>(nread)) close();
      complete_response();
      return;
    case HttpResponseParser::Result::kError:
      fail(ErrorKind::kParse);
      return;
  }
}

void ClientConnection::complete_response() {
  in_request_ =
      false;  // the deadline's timer stays armed: it is re-armed for the next request, if need be
  backoff_ = false;
  const std::uint64_t now = uv_hrtime();
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
