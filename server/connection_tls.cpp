// The TLS transport of a Connection: the seam between its socket and HTTP/1.1 on the HTTPS
// port (common/tls_session.h has the protocol). Only a connection with a session comes here;
// the plain path pays one null check per read and per flush.
//
//   socket ─▶ read_tls: session.feed ─▶ read_tls_plaintext: session.read ─▶ feed (llhttp)
//   flush ─▶ write_tls: session.write (pipelined responses joined into shared records)
//         ─▶ send_tls_output: try_write, the rest by one uv_write
//
// Back-pressure: an exchange stays "writing" (and its bytes in queued_bytes_, so
// --max-queued-response-bytes bounds it) until its ciphertext has been handed to the kernel,
// as on the plain path; the ciphertext waiting meanwhile is those bytes plus a few per record.
#include <spdlog/spdlog.h>

#include <array>
#include <cstring>
#include <string_view>

#include "common/tls_first_bytes.h"
#include "common/tls_session.h"
#include "server/connection.h"
#include "server/loop_context.h"

namespace loadlab::server {
namespace {

// The plaintext of one full TLS record (RFC 8446 §5.1: 2^14 bytes).
constexpr std::size_t kTlsRecordPlaintext = 16384;

}  // namespace

void Connection::read_tls(const char* data, std::size_t length) {
  tls_->feed({data, length});
  read_tls_plaintext();
  if (closing_) return;
  flush();
  // What the reads alone produced (handshake flights, TLS 1.3 tickets): flush() sends it only
  // along with responses. tls_ is null after a plain-HTTP 400, which flush() sent.
  if (!closing_ && tls_ != nullptr && tls_->pending_output_bytes() > 0 && send_tls_output() < 0)
    close();
}

void Connection::read_tls_plaintext() {
  while (!closing_ && read_state_ == ReadState::kReading) {
    // The loop's read buffer is free again: feed() has copied the ciphertext into the session.
    const uv_buf_t plaintext = loop_.read_buffer();
    const auto result = tls_->read({plaintext.base, plaintext.len});
    if (!tls_handshake_noted_ && tls_->handshake_done()) note_tls_handshake();
    switch (result.status) {
      case TlsSession::ReadStatus::kData:
        // As in on_read: the first byte of a request starts its header clock.
        if (!in_message_ && deadline_ != Deadline::kHeaders) {
          set_deadline(Deadline::kHeaders, loop_.config().header_timeout_ms);
        }
        feed(plaintext.base, result.bytes);
        break;
      case TlsSession::ReadStatus::kNeedMore:
        return;
      case TlsSession::ReadStatus::kClosed:
        close();  // close_notify: the client's EOF
        return;
      case TlsSession::ReadStatus::kFailed:
        on_tls_failed();
        return;
    }
  }
}

void Connection::note_tls_handshake() {
  tls_handshake_noted_ = true;
  const std::string_view version = tls_->version();
  for (std::size_t i = 0; i < kTlsVersions.size(); ++i) {
    if (version == kTlsVersions[i]) loop_.metrics().tls_handshakes[i].add();
  }
}

void Connection::count_tls_failure(int reason) {
  loop_.metrics().tls_handshake_failures[static_cast<std::size_t>(reason)].add();
}

void Connection::on_tls_failed() {
  const bool in_handshake = !tls_->handshake_done();
  const bool plain_http = in_handshake && tls_->first_bytes() == FirstBytes::kPlainHttp;
  if (in_handshake) {
    TlsFailureReason reason = TlsFailureReason::kHandshake;
    if (plain_http) {
      reason = TlsFailureReason::kPlainHttp;
    } else if (tls_->failure().kind == TlsFailureKind::kNotTls) {
      reason = TlsFailureReason::kNotTls;
    } else if (tls_->failure().kind == TlsFailureKind::kEof) {
      reason = TlsFailureReason::kEof;
    }
    count_tls_failure(static_cast<int>(reason));
  }
  spdlog::debug("connection {}: {}", id_, tls_->failure().message);
  if (plain_http) {
    // Answered in plain HTTP, as nginx does, so the user reads why; then the connection is a
    // plain one that closes after this response.
    tls_.reset();
    fail_request(400, "The plain HTTP request was sent to HTTPS port: use https://");
    return;  // read_tls flushes it
  }
  // The alert, if the socket takes it now (anything else is not worth waiting for).
  const auto pending = tls_->pending_output();
  uv_buf_t buf =
      uv_buf_init(const_cast<char*>(pending.data()), static_cast<unsigned>(pending.size()));
  if (buf.len > 0) tcp_.try_write(&buf, 1);
  tls_.reset();  // nothing more to say: close() sends no close_notify
  close();
}

void Connection::on_tls_eof() {
  if (tls_->handshake_done() || tls_->failed()) return;
  tls_->transport_closed();
  count_tls_failure(static_cast<int>(tls_->failure().kind == TlsFailureKind::kNotTls
                                         ? TlsFailureReason::kNotTls
                                         : TlsFailureReason::kEof));
}

int Connection::write_tls(const uv_buf_t* bufs, std::size_t count) {
  if (count == 1) {
    if (!tls_->write({bufs[0].base, bufs[0].len})) return UV_EPROTO;
    return send_tls_output();
  }
  // Pipelined responses written together share records, as nginx's output buffer makes them
  // share: a record costs ~5 000 instructions beyond its bytes (SSL_write's fixed part), a
  // copy of a small response a few dozen. Those that fit are joined up to one full record's
  // plaintext; a larger one is written on its own, in order.
  std::array<char, kTlsRecordPlaintext> joined;
  std::size_t used = 0;
  const auto write_joined = [&] {
    const bool ok = used == 0 || tls_->write({joined.data(), used});
    used = 0;
    return ok;
  };
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view piece(bufs[i].base, bufs[i].len);
    if (piece.size() > joined.size() - used && !write_joined()) return UV_EPROTO;
    if (piece.size() > joined.size()) {
      if (!tls_->write(piece)) return UV_EPROTO;
      continue;
    }
    std::memcpy(joined.data() + used, piece.data(), piece.size());
    used += piece.size();
  }
  if (!write_joined()) return UV_EPROTO;
  return send_tls_output();
}

int Connection::send_tls_output() {
  if (tls_ == nullptr) return UV_EPROTO;  // dropped by a failure: nothing can be sent
  if (tls_write_pending_) return 0;       // on_tls_written sends what was added meanwhile
  const auto pending = tls_->pending_output();
  if (pending.empty()) return 1;
  uv_buf_t buf =
      uv_buf_init(const_cast<char*>(pending.data()), static_cast<unsigned>(pending.size()));
  const int written = tcp_.try_write(&buf, 1);
  if (written < 0 && written != UV_EAGAIN) return written;
  if (written > 0) tls_->consume_output(static_cast<std::size_t>(written));
  if (tls_->pending_output_bytes() == 0) return 1;
  // The rest leaves through one uv_write of a buffer of our own: the session's storage is
  // swapped out (no copy), and swapped back on the next take (no allocation).
  tls_out_.clear();
  tls_->take_output(tls_out_);
  buf = uv_buf_init(tls_out_.data(), static_cast<unsigned>(tls_out_.size()));
  const int status = tcp_.write<&Connection::on_tls_written>(this, &buf, 1, kResponseWrite);
  if (status < 0) return status;
  tls_write_pending_ = true;
  // As on the plain path: a client that takes none of it within the keep-alive timeout is gone.
  write_timer_.start<&Connection::on_write_stalled>(this, loop_.config().keepalive_timeout_ms);
  return 0;
}

void Connection::on_tls_written(int status) {
  write_timer_.stop();
  tls_write_pending_ = false;
  // As in on_write: a write that had completed before close() is reported from the close with
  // status 0, and close() settled it (and may have dropped the session: on_tls_failed).
  if (closing_) return;
  if (status < 0) {
    close();  // reset by the peer, or cancelled because we are closing
    return;
  }
  tls_out_.clear();
  const int sent = send_tls_output();
  if (sent < 0) {
    close();
    return;
  }
  if (sent == 0) return;
  if (read_state_ == ReadState::kLingering) {
    send_fin();  // the close_notify has left
    return;
  }
  if (writing_ > 0 && finish_writes()) return;
  flush();
}

}  // namespace loadlab::server
