#include "server/tls_setup.h"

#include <openssl/pem.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "common/tls_error.h"
#include "common/tls_self_signed.h"

namespace loadlab::server {
namespace {

void write_file(const std::string& path, const std::string& text) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "w"), &std::fclose);
  if (!file || std::fwrite(text.data(), 1, text.size(), file.get()) != text.size() ||
      std::fflush(file.get()) != 0) {
    throw std::runtime_error("cannot write --tls-cert-out '" + path + "': " + std::strerror(errno));
  }
}

// The certificate's fingerprint from its PEM file, for the log line that lets a user compare
// it with what a client sees.
std::string fingerprint_of_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!file) return {};
  X509Ptr certificate(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
  take_openssl_errors();
  return certificate ? fingerprint_sha256(certificate.get()) : std::string();
}

}  // namespace

std::vector<std::string> default_tls_names(const std::string& host) {
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  if (host != "0.0.0.0" && host != "::" && host != "localhost" && host != "127.0.0.1" &&
      host != "::1" && !host.empty()) {
    names.push_back(host);
  }
  return names;
}

std::optional<ServerTls> make_server_tls(const ServerConfig& config) {
  if (!config.tls_enabled()) return std::nullopt;
  if (!config.tls_self_signed) {
    TlsContext context = TlsContext::server(config.tls_cert, config.tls_key);
    std::string fingerprint = fingerprint_of_file(config.tls_cert);
    spdlog::info("TLS certificate {} (SHA-256 fingerprint {})", config.tls_cert, fingerprint);
    return ServerTls{std::move(context), std::move(fingerprint)};
  }
  SelfSignedOptions options;
  options.names = config.tls_names.empty() ? default_tls_names(config.host) : config.tls_names;
  const SelfSignedCertificate certificate(options);
  if (!config.tls_cert_out.empty()) write_file(config.tls_cert_out, certificate.certificate_pem());
  std::string names;
  for (const auto& name : options.names) names += (names.empty() ? "" : ", ") + name;
  spdlog::info("TLS self-signed P-256 certificate for {}: SHA-256 fingerprint {}{}", names,
               certificate.fingerprint_sha256(),
               config.tls_cert_out.empty() ? "" : " (PEM written to " + config.tls_cert_out + ")");
  return ServerTls{TlsContext::server(certificate), certificate.fingerprint_sha256()};
}

}  // namespace loadlab::server
