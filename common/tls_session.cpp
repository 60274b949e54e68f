#include "common/tls_session.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <new>

#include "common/ip_literal.h"
#include "common/tls_context.h"
#include "common/tls_error.h"
#include "common/tls_session_cache.h"

namespace loadlab {

namespace {

TlsFailureKind kind_of_verify_error(long error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return TlsFailureKind::kVerifyExpired;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return TlsFailureKind::kVerifyUnknownIssuer;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return TlsFailureKind::kVerifyNameMismatch;
    default:
      return TlsFailureKind::kVerifyOther;
  }
}

// Record-layer reasons that mean "these bytes are not TLS at all".
bool is_not_tls_reason(int reason) {
  return reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
         reason == SSL_R_HTTPS_PROXY_REQUEST || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
         reason == SSL_R_UNKNOWN_PROTOCOL;
}

// SSL_get_error blames the thread's error queue for a failed call: it must hold nothing from
// before. Peeking first: ERR_clear_error walks every slot of the queue (~800 instructions, and
// the queue is almost always empty), which made a tenth of the server's instructions per
// request when it ran before each SSL_read and SSL_write (bench/RESULTS.md, issue 13).
void clear_stale_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

// Drains the thread's error queue: the readable reasons, and whether one says "not TLS".
std::string drain_errors(bool& not_tls) {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    not_tls =
        not_tls || (ERR_GET_LIB(code) == ERR_LIB_SSL && is_not_tls_reason(ERR_GET_REASON(code)));
    const char* reason = ERR_reason_error_string(code);
    if (!text.empty()) text += "; ";
    text += reason != nullptr ? reason : "unknown error";
  }
  return text;
}

}  // namespace

const char* to_string(TlsFailureKind kind) {
  switch (kind) {
    case TlsFailureKind::kNone:
      return "none";
    case TlsFailureKind::kVerifyExpired:
      return "expired";
    case TlsFailureKind::kVerifyUnknownIssuer:
      return "unknown_issuer";
    case TlsFailureKind::kVerifyNameMismatch:
      return "name_mismatch";
    case TlsFailureKind::kVerifyOther:
      return "verify";
    case TlsFailureKind::kHandshake:
      return "handshake";
    case TlsFailureKind::kNotTls:
      return "not_tls";
    case TlsFailureKind::kEof:
      return "eof";
  }
  return "handshake";
}

TlsSession::TlsSession(const TlsContext& server_context) : server_(true) {
  verifies_peer_ = server_context.verifies_peer();
  ssl_ = SSL_new(server_context.native());
  BIO* input = BIO_new(input_bio_method());
  BIO* output = BIO_new(output_bio_method());
  if (ssl_ == nullptr || input == nullptr || output == nullptr) {
    BIO_free(input);
    BIO_free(output);
    SSL_free(ssl_);
    ssl_ = nullptr;
    ERR_clear_error();
    fail(TlsFailureKind::kHandshake, "out of memory for a TLS session");
    return;
  }
  BIO_set_data(input, &input_);
  BIO_set_data(output, &output_);
  SSL_set_bio(ssl_, input, output);
  SSL_set_app_data(ssl_, this);
  SSL_set_accept_state(ssl_);
}

TlsSession::TlsSession(const TlsContext& client_context, std::string_view host, std::uint16_t port,
                       TlsSessionCache* cache)
    : TlsSession(client_context) {
  server_ = false;
  host_ = std::string(host);
  if (ssl_ == nullptr) return;
  SSL_set_connect_state(ssl_);
  const bool ip = is_ip_literal(host_);
  bool configured = ip || SSL_set_tlsext_host_name(ssl_, host_.c_str()) == 1;
  if (configured && verifies_peer_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    configured = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str()) == 1
                    : X509_VERIFY_PARAM_set1_host(param, host_.c_str(), host_.size()) == 1;
  }
  if (!configured) {
    fail(TlsFailureKind::kHandshake,
         "'" + host_ + "' cannot be used as a TLS server name: " + take_openssl_errors());
    return;
  }
  if (cache != nullptr && client_context.resumes_sessions()) {
    cache_ = cache;
    cache_key_ = host_ + ':' + std::to_string(port);
    if (SSL_SESSION* session = cache_->find(cache_key_)) {
      if (SSL_set_session(ssl_, session) != 1) ERR_clear_error();  // a full handshake then
    }
  }
}

TlsSession::~TlsSession() {
  // OpenSSL makes the session of a connection freed without close_notify unresumable (its
  // guard against truncation). HTTP/1.1 frames its own messages, and servers often close
  // without close_notify: a connection that did not fail keeps its session resumable, on
  // both sides, whether or not shutdown() was called.
  if (ssl_ != nullptr && handshake_done_ && !failed())
    SSL_set_shutdown(ssl_, SSL_get_shutdown(ssl_) | SSL_SENT_SHUTDOWN);
  SSL_free(ssl_);
}

void TlsSession::feed(std::string_view ciphertext) {
  if (!handshake_done_ && first_bytes_length_ < first_bytes_.size()) {
    const std::size_t n = std::min(ciphertext.size(), first_bytes_.size() - first_bytes_length_);
    std::copy_n(ciphertext.data(), n, first_bytes_.data() + first_bytes_length_);
    first_bytes_length_ += n;
  }
  if (ssl_ == nullptr || failed()) return;  // nothing reads it any more
  try {
    input_.append(ciphertext);
  } catch (const std::bad_alloc&) {
    fail(TlsFailureKind::kHandshake, "out of memory for TLS input");
  }
}

TlsSession::Handshake TlsSession::handshake() {
  if (failed()) return Handshake::kFailed;
  if (handshake_done_) return Handshake::kDone;
  clear_stale_errors();
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    handshake_done_ = true;
    return Handshake::kDone;
  }
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    // A server that has seen enough to know the peer is not speaking TLS need not wait for
    // the 5-byte record header OpenSSL needs to say so.
    if (server_ &&
        classify_first_bytes({first_bytes_.data(), first_bytes_length_}) == FirstBytes::kGarbage) {
      fail(TlsFailureKind::kNotTls,
           "the client does not speak TLS (its first bytes are not a TLS record)");
      return Handshake::kFailed;
    }
    return Handshake::kNeedMore;
  }
  if (error == SSL_ERROR_ZERO_RETURN) {
    fail(TlsFailureKind::kEof, "the peer closed the TLS connection during the handshake");
    return Handshake::kFailed;
  }
  fail_from_openssl();
  return Handshake::kFailed;
}

TlsSession::ReadResult TlsSession::read(std::span<char> plaintext) {
  if (!handshake_done_) {
    const Handshake state = handshake();
    if (state == Handshake::kFailed) return {ReadStatus::kFailed, 0};
    if (state == Handshake::kNeedMore) return {ReadStatus::kNeedMore, 0};
  }
  if (failed()) return {ReadStatus::kFailed, 0};
  if (plaintext.empty()) return {ReadStatus::kNeedMore, 0};
  // Nothing fed and nothing decrypted waiting: SSL_read could only say "want read". Asking it
  // anyway cost the server an SSL_read and an SSL_get_error after every request.
  if (input_.size() == 0 && SSL_has_pending(ssl_) == 0) return {ReadStatus::kNeedMore, 0};
  const int capacity = static_cast<int>(std::min<std::size_t>(plaintext.size(), INT_MAX));
  clear_stale_errors();  // one thread serves many sessions: no other one's error may be read here
  const int result = SSL_read(ssl_, plaintext.data(), capacity);
  if (result > 0) return {ReadStatus::kData, static_cast<std::size_t>(result)};
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)
    return {ReadStatus::kNeedMore, 0};
  if (error == SSL_ERROR_ZERO_RETURN) return {ReadStatus::kClosed, 0};
  fail_from_openssl();
  return {ReadStatus::kFailed, 0};
}

void TlsSession::transport_closed() {
  if (handshake_done_ || failed()) return;
  if (server_ && first_bytes_length_ > 0 &&
      classify_first_bytes({first_bytes_.data(), first_bytes_length_}) != FirstBytes::kTls) {
    fail(TlsFailureKind::kNotTls, "the client does not speak TLS");
    return;
  }
  fail(TlsFailureKind::kEof, "the connection closed during the TLS handshake");
}

bool TlsSession::write(std::string_view plaintext) {
  if (!handshake_done_ || failed() || shutdown_sent_) return false;
  while (!plaintext.empty()) {
    // SSL_write takes an int; 1 GiB slices keep every length in range.
    const int n = static_cast<int>(std::min<std::size_t>(plaintext.size(), std::size_t{1} << 30));
    // The output BIO grows as needed (tls_output_buffer), so SSL_write never wants to wait:
    // any result but success is a failure, with no SSL_get_error to be misled by an error
    // left in the queue from before, so none is cleared first.
    const int result = SSL_write(ssl_, plaintext.data(), n);
    if (result <= 0) {
      fail_from_openssl();
      return false;
    }
    plaintext.remove_prefix(static_cast<std::size_t>(result));
  }
  return true;
}

void TlsSession::shutdown() {
  if (!handshake_done_ || failed() || shutdown_sent_) return;
  shutdown_sent_ = true;
  SSL_shutdown(ssl_);  // queues close_notify; waiting for the peer's adds nothing to HTTP/1.1
  ERR_clear_error();
}

FirstBytes TlsSession::first_bytes() const {
  return classify_first_bytes({first_bytes_.data(), first_bytes_length_});
}

std::string_view TlsSession::version() const {
  return handshake_done_ ? std::string_view(SSL_get_version(ssl_)) : std::string_view();
}

std::string_view TlsSession::alpn() const {
  if (ssl_ == nullptr) return {};
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  return data == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(data), length);
}

bool TlsSession::resumed() const { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }

std::string_view TlsSession::server_name() const {
  const char* name =
      ssl_ != nullptr ? SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name) : nullptr;
  return name != nullptr ? std::string_view(name) : std::string_view();
}

bool TlsSession::remember_session(SSL_SESSION* session) {
  if (cache_ == nullptr) return false;
  cache_->store(cache_key_, session);
  return true;
}

void TlsSession::fail(TlsFailureKind kind, std::string message) {
  if (failed()) return;
  failure_.kind = kind;
  failure_.message = std::move(message);
}

void TlsSession::fail_from_openssl() {
  bool not_tls = false;
  const std::string reasons = drain_errors(not_tls);
  const char* peer = server_ ? "the client's" : "the server's";
  const long verify = ssl_ != nullptr ? SSL_get_verify_result(ssl_) : X509_V_OK;
  if (verifies_peer_ && verify != X509_V_OK) {
    const TlsFailureKind kind = kind_of_verify_error(verify);
    std::string message = std::string(peer) + " certificate ";
    switch (kind) {
      case TlsFailureKind::kVerifyExpired:
        message += "is outside its validity period (renew it, or check the clocks)";
        break;
      case TlsFailureKind::kVerifyUnknownIssuer:
        message +=
            "is not signed by a trusted CA (trust its issuer with a CA file, or skip verification)";
        break;
      case TlsFailureKind::kVerifyNameMismatch:
        message += "is not valid for '" + host_ + "' (connect by a name it lists)";
        break;
      default:
        message += "failed verification";
        break;
    }
    message += ": ";
    message += X509_verify_cert_error_string(verify);
    fail(kind, std::move(message));
    return;
  }
  const FirstBytes first = first_bytes();
  if (server_ && (first == FirstBytes::kPlainHttp || first == FirstBytes::kGarbage)) {
    fail(TlsFailureKind::kNotTls,
         first == FirstBytes::kPlainHttp
             ? "the client sent plain HTTP to the HTTPS port"
             : "the client does not speak TLS (its first bytes are not a TLS record)");
    return;
  }
  if (not_tls && !handshake_done_) {
    fail(TlsFailureKind::kNotTls,
         server_ ? "the client does not speak TLS: " + reasons
                 : "the server does not answer with TLS (a plain HTTP port?): " + reasons);
    return;
  }
  fail(TlsFailureKind::kHandshake,
       std::string(handshake_done_ ? "TLS error: " : "TLS handshake failed: ") +
           (reasons.empty() ? "no reason given" : reasons));
}

}  // namespace loadlab
