// One TLS connection over memory: no socket, no libuv, so both programs' connections (and
// tests, and fuzzers) drive it the same way, and HTTP/2 can later sit on it (ALPN).
//
//   socket ──read──▶ feed(ciphertext) ─▶ read(plaintext buffer) ──▶ HTTP parser
//   socket ◀─write── pending_output()/take_output() ◀─ write(plaintext) ◀── HTTP responses
//
// Read path, on every socket read:
//   session.feed(bytes);                          // all of them, always accepted
//   loop: r = session.read(buffer)                // drives the handshake first, then decrypts
//         kData: hand r.bytes to the parser; kNeedMore: stop; kClosed: peer sent
//         close_notify (clean EOF); kFailed: failure() says why, close the socket
//   flush pending output                          // reads make output: handshake flights,
//                                                 // TLS 1.3 tickets, alerts
//   handshake_done() turning true marks the end of the handshake (its timer, its metrics).
// Write path: session.write(plaintext) (only after the handshake; it encrypts everything at
// once into the output buffer and never needs a retry), then flush.
// Flush: n = uv_try_write(pending_output()); consume_output(n); if bytes remain, take_output
// (into the connection's own write buffer, which swaps storage when empty: no copy) and
// uv_write that buffer; it must stay alive and untouched until the write callback.
// Back-pressure: the session never drops or blocks: ciphertext waits in its output buffer for
// as long as the connection leaves it there. So the connection bounds it, as it bounds
// plaintext today: when pending_output_bytes() plus its own unsent bytes pass a high-water
// mark, stop reading the socket (no new requests, no new responses) until the writes drain.
// Shutdown: shutdown() queues close_notify; flush it, then close the socket (no need to wait
// for the peer's). On a socket EOF call transport_closed() to classify an unfinished handshake.
// After a failure, flush once more (the alert for the peer) and close.
// Every call runs on the connection's loop thread; nothing throws after construction.
#pragma once

#include <openssl/ssl.h>  // SSL_SESSION

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/tls_first_bytes.h"
#include "common/tls_input_buffer.h"
#include "common/tls_output_buffer.h"

namespace loadlab {

class TlsContext;
class TlsSessionCache;

// Why a session failed, in words short enough for a metric label or an error breakdown.
enum class TlsFailureKind {
  kNone,
  kVerifyExpired,        // the peer's certificate is expired or not yet valid
  kVerifyUnknownIssuer,  // not signed by a trusted CA (self-signed, missing intermediate)
  kVerifyNameMismatch,   // valid, but not for the host name / IP address asked for
  kVerifyOther,          // any other verification error (revoked, bad signature, purpose, ...)
  kHandshake,            // protocol error or alert: no common version, missing client cert, ...
  kNotTls,               // the peer does not speak TLS (plain HTTP, garbage)
  kEof,                  // the connection closed before the handshake finished
};
const char* to_string(TlsFailureKind kind);  // "expired", "unknown_issuer", "name_mismatch", ...

struct TlsFailure {
  TlsFailureKind kind = TlsFailureKind::kNone;
  std::string message;  // a sentence for a user, with OpenSSL's own reason in it
};

class TlsSession {
 public:
  enum class Handshake { kNeedMore, kDone, kFailed };
  enum class ReadStatus { kData, kNeedMore, kClosed, kFailed };
  struct ReadResult {
    ReadStatus status;
    std::size_t bytes;  // plaintext written to the buffer (kData only)
  };

  // A server session of a server context.
  explicit TlsSession(const TlsContext& server_context);
  // A client session: `host` (a DNS name or an IP literal, no brackets) is sent as SNI (DNS
  // names only, RFC 6066 §3) and verified against the certificate; "host:port" keys the
  // resumption cache, which may be null (no resumption) and must outlive the session.
  TlsSession(const TlsContext& client_context, std::string_view host, std::uint16_t port,
             TlsSessionCache* cache);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;  // OpenSSL holds our address (callbacks, BIO)
  TlsSession& operator=(const TlsSession&) = delete;

  // Read path.
  void feed(std::string_view ciphertext);
  Handshake handshake();
  ReadResult read(std::span<char> plaintext);
  void transport_closed();

  // Write path. False when the handshake is not done yet, or the session failed.
  bool write(std::string_view plaintext);
  std::span<const char> pending_output() const { return output_.pending(); }
  std::size_t pending_output_bytes() const { return output_.size(); }
  void consume_output(std::size_t bytes) { output_.consume(bytes); }
  void take_output(std::vector<char>& into) { output_.take(into); }
  void shutdown();

  bool handshake_done() const { return handshake_done_; }
  bool failed() const { return failure_.kind != TlsFailureKind::kNone; }
  const TlsFailure& failure() const { return failure_; }
  // What the first bytes from the peer looked like (servers: plain HTTP gets a 400).
  FirstBytes first_bytes() const;
  std::string_view version() const;  // "TLSv1.3", "TLSv1.2"; "" before the handshake
  std::string_view alpn() const;     // "http/1.1", or "" when none was negotiated
  bool resumed() const;
  std::string_view server_name() const;  // servers: the SNI the client sent, "" when none

  // OpenSSL's new-session callback (TlsContext) lands here: true when the cache took it.
  bool remember_session(SSL_SESSION* session);

 private:
  void fail(TlsFailureKind kind, std::string message);
  void fail_from_openssl();

  SSL* ssl_ = nullptr;
  TlsInputBuffer input_;  // read by OpenSSL through the context's input BIO method
  TlsOutputBuffer output_;
  bool server_ = false;
  bool verifies_peer_ = false;
  bool handshake_done_ = false;
  bool shutdown_sent_ = false;
  TlsSessionCache* cache_ = nullptr;
  std::string cache_key_;  // "host:port", clients with a cache only
  std::string host_;       // clients: for the name-mismatch message
  // The first bytes received, for first_bytes(); a fixed array, no allocation.
  std::array<char, 24> first_bytes_{};
  std::size_t first_bytes_length_ = 0;
  TlsFailure failure_;
};

}  // namespace loadlab
