// One SSL_CTX, the configuration shared by every TLS connection of a program: certificates,
// verification, versions, ALPN. Built once at start-up (errors throw TlsSetupError with a
// message a user can act on) and then only read: one context serves every loop thread
// (OpenSSL's SSL_CTX is safe to share for SSL_new). It must outlive its TlsSessions.
#pragma once

#include <openssl/bio.h>  // BIO_METHOD
#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace loadlab {

class SelfSignedCertificate;

enum class TlsVersion { k1_2, k1_3 };

struct TlsServerOptions {
  TlsVersion min_version = TlsVersion::k1_2;
  std::optional<TlsVersion> max_version;  // tests pin 1.2; users have no reason to
  // Protocols the server accepts, in its order of preference; a client offering none of them
  // still connects without ALPN (what curl without ALPN and old clients expect).
  std::vector<std::string> alpn = {"http/1.1"};
  // Non-empty: clients must present a certificate that verifies against this PEM file.
  std::string client_ca_file;
};

struct TlsClientOptions {
  bool verify = true;     // false: -k/--insecure, accept any certificate and name
  std::string ca_file;    // --cacert: trust only this PEM file; empty: the system store
  std::string cert_file;  // --cert: client certificate chain (PEM)
  std::string key_file;   // --key: its private key (PEM); defaults to cert_file
  TlsVersion min_version = TlsVersion::k1_2;
  std::optional<TlsVersion> max_version;
  std::vector<std::string> alpn = {"http/1.1"};
  // Resume sessions on reconnects (TlsSessionCache); off: every connection is a full handshake
  // and the client asks servers for no tickets.
  bool session_resumption = true;
};

class TlsContext {
 public:
  // Server from PEM files: the certificate chain (leaf first) and its private key.
  static TlsContext server(const std::string& cert_file, const std::string& key_file,
                           const TlsServerOptions& options = {});
  // Server from an in-memory certificate (--tls-self-signed).
  static TlsContext server(const SelfSignedCertificate& certificate,
                           const TlsServerOptions& options = {});
  static TlsContext client(const TlsClientOptions& options = {});

  TlsContext(TlsContext&& other) noexcept;
  TlsContext& operator=(TlsContext&& other) noexcept;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();

  bool is_server() const { return server_; }
  bool verifies_peer() const { return verify_; }
  bool resumes_sessions() const { return resumption_; }
  SSL_CTX* native() const { return context_; }

 private:
  TlsContext(bool server, const std::vector<std::string>& alpn);
  void configure_server(const TlsServerOptions& options);

  SSL_CTX* context_ = nullptr;
  bool server_ = false;
  bool verify_ = false;
  bool resumption_ = false;
  // ALPN in wire format (length-prefixed names), what both OpenSSL calls take; on the heap
  // because the server's selection callback keeps its address across moves.
  std::unique_ptr<const std::string> alpn_wire_;
};

}  // namespace loadlab
