#include "common/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <filesystem>
#include <utility>

#include "common/tls_error.h"
#include "common/tls_input_buffer.h"
#include "common/tls_output_buffer.h"
#include "common/tls_self_signed.h"
#include "common/tls_session.h"

namespace loadlab {

namespace {

int protocol_version(TlsVersion version) {
  return version == TlsVersion::k1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

std::string alpn_wire_format(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& protocol : protocols) {
    if (protocol.empty() || protocol.size() > 255)
      throw TlsSetupError("ALPN protocol names are 1 to 255 bytes");
    wire += static_cast<char>(protocol.size());
    wire += protocol;
  }
  return wire;
}

// A readable file, or an error naming it: OpenSSL's own message for a missing file is
// "system lib", which tells a user nothing.
void check_readable(const std::string& path, const char* what) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw TlsSetupError(std::string(what) + " '" + path + "' is not a readable file");
  }
}

void set_versions(SSL_CTX* context, TlsVersion min, const std::optional<TlsVersion>& max) {
  if (max && protocol_version(*max) < protocol_version(min)) {
    throw TlsSetupError("the maximum TLS version is below the minimum");
  }
  if (SSL_CTX_set_min_proto_version(context, protocol_version(min)) != 1 ||
      SSL_CTX_set_max_proto_version(context, max ? protocol_version(*max) : 0) != 1) {
    throw_tls_setup_error("cannot set the TLS versions");
  }
}

// After the certificate: OpenSSL checks the key against it while loading.
void use_key_file(SSL_CTX* context, const std::string& key_file, const std::string& cert_file) {
  if (SSL_CTX_use_PrivateKey_file(context, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const unsigned long code = ERR_peek_last_error();
    if (ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH) {
      throw_tls_setup_error("the key in '" + key_file + "' does not match the certificate in '" +
                            cert_file + "'");
    }
    throw_tls_setup_error("cannot load the private key from '" + key_file +
                          "' (unencrypted PEM expected)");
  }
  if (SSL_CTX_check_private_key(context) != 1) {
    throw_tls_setup_error("the key in '" + key_file + "' does not match the certificate in '" +
                          cert_file + "'");
  }
}

// RFC 7301 §3.2: the server picks from the client's list by its own preference.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                const unsigned char* offered, unsigned int offered_length, void* argument) {
  const auto* ours = static_cast<const std::string*>(argument);
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length,
                            reinterpret_cast<const unsigned char*>(ours->data()),
                            static_cast<unsigned int>(ours->size()), offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // no common protocol: go on without ALPN
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// TLS 1.3 tickets arrive after the handshake (and TLS 1.2 sessions at its end); the session
// that received one stores it in its cache.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* owner = static_cast<TlsSession*>(SSL_get_app_data(ssl));
  return owner != nullptr && owner->remember_session(session) ? 1 : 0;
}

}  // namespace

TlsContext::TlsContext(bool server, const std::vector<std::string>& alpn)
    : server_(server), alpn_wire_(std::make_unique<const std::string>(alpn_wire_format(alpn))) {
  context_ = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (context_ == nullptr || input_bio_method() == nullptr || output_bio_method() == nullptr) {
    SSL_CTX_free(context_);  // the destructor does not run for a constructor that throws
    throw_tls_setup_error("cannot make a TLS context");
  }
  // The input BIO is a queue in memory (tls_input_buffer.h): reading ahead takes everything
  // fed in one BIO_read, where record by record takes two per record (header, then body).
  SSL_CTX_set_read_ahead(context_, 1);
  // Renegotiation is a DoS lever and a source of bugs; HTTP/1.1 over TLS never needs it.
  SSL_CTX_set_options(context_, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // SSL_write returns only when all of it is in records: the caller never retries a write.
  SSL_CTX_clear_mode(context_, SSL_MODE_ENABLE_PARTIAL_WRITE);
}

TlsContext TlsContext::server(const std::string& cert_file, const std::string& key_file,
                              const TlsServerOptions& options) {
  check_readable(cert_file, "the certificate file");
  check_readable(key_file, "the key file");
  TlsContext context(true, options.alpn);
  SSL_CTX* ctx = context.context_;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    throw_tls_setup_error("cannot load the certificate chain from '" + cert_file +
                          "' (PEM expected)");
  }
  use_key_file(ctx, key_file, cert_file);
  context.configure_server(options);
  return context;
}

TlsContext TlsContext::server(const SelfSignedCertificate& certificate,
                              const TlsServerOptions& options) {
  TlsContext context(true, options.alpn);
  if (SSL_CTX_use_certificate(context.context_, certificate.certificate()) != 1 ||
      SSL_CTX_use_PrivateKey(context.context_, certificate.private_key()) != 1 ||
      SSL_CTX_check_private_key(context.context_) != 1) {
    throw_tls_setup_error("cannot use the self-signed certificate");
  }
  context.configure_server(options);
  return context;
}

void TlsContext::configure_server(const TlsServerOptions& options) {
  set_versions(context_, options.min_version, options.max_version);
  SSL_CTX_set_alpn_select_cb(context_, select_alpn, const_cast<std::string*>(alpn_wire_.get()));
  // Resumption (session IDs for 1.2, tickets for both) needs a context id, or OpenSSL refuses
  // to resume sessions of a context that verifies client certificates.
  static constexpr unsigned char kSessionContext[] = "loadlab";
  SSL_CTX_set_session_id_context(context_, kSessionContext, sizeof kSessionContext - 1);
  if (!options.client_ca_file.empty()) {
    check_readable(options.client_ca_file, "the client CA file");
    if (SSL_CTX_load_verify_locations(context_, options.client_ca_file.c_str(), nullptr) != 1) {
      throw_tls_setup_error("cannot load client CA certificates from '" + options.client_ca_file +
                            "'");
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names == nullptr) throw_tls_setup_error("no CA names in '" + options.client_ca_file + "'");
    SSL_CTX_set_client_CA_list(context_, names);
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    verify_ = true;
  }
  resumption_ = true;
}

TlsContext TlsContext::client(const TlsClientOptions& options) {
  TlsContext context(false, options.alpn);
  SSL_CTX* ctx = context.context_;
  set_versions(ctx, options.min_version, options.max_version);
  if (!options.alpn.empty() &&
      SSL_CTX_set_alpn_protos(ctx,
                              reinterpret_cast<const unsigned char*>(context.alpn_wire_->data()),
                              static_cast<unsigned int>(context.alpn_wire_->size())) != 0) {
    throw_tls_setup_error("cannot set ALPN");
  }
  if (options.verify) {
    if (!options.ca_file.empty()) {
      check_readable(options.ca_file, "the CA file");
      if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
        throw_tls_setup_error("cannot load CA certificates from '" + options.ca_file +
                              "' (PEM expected)");
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      throw_tls_setup_error(
          "cannot load the system's CA certificates (is ca-certificates installed?)");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  context.verify_ = options.verify;
  if (!options.cert_file.empty()) {
    const std::string& key_file = options.key_file.empty() ? options.cert_file : options.key_file;
    check_readable(options.cert_file, "the client certificate file");
    check_readable(key_file, "the client key file");
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
      throw_tls_setup_error("cannot load the client certificate from '" + options.cert_file +
                            "' (PEM expected)");
    }
    use_key_file(ctx, key_file, options.cert_file);
  } else if (!options.key_file.empty()) {
    throw TlsSetupError("a client key needs its certificate (--cert)");
  }
  if (options.session_resumption) {
    // Sessions live in the caller's TlsSessionCache (one per loop), not in OpenSSL's
    // internal store: the callback hands each new one to the session that received it.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  context.resumption_ = options.session_resumption;
  return context;
}

TlsContext::TlsContext(TlsContext&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)),
      server_(other.server_),
      verify_(other.verify_),
      resumption_(other.resumption_),
      alpn_wire_(std::move(other.alpn_wire_)) {}

TlsContext& TlsContext::operator=(TlsContext&& other) noexcept {
  if (this != &other) {
    SSL_CTX_free(context_);
    context_ = std::exchange(other.context_, nullptr);
    server_ = other.server_;
    verify_ = other.verify_;
    resumption_ = other.resumption_;
    alpn_wire_ = std::move(other.alpn_wire_);
  }
  return *this;
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

}  // namespace loadlab
