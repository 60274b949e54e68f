// An in-memory P-256 key and self-signed X.509 certificate for a list of host names and IP
// addresses (the server's --tls-self-signed, and the tests' certificates).
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace loadlab {

struct X509Free {
  void operator()(X509* certificate) const noexcept;
};
struct PrivateKeyFree {
  void operator()(EVP_PKEY* key) const noexcept;
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PrivateKeyPtr = std::unique_ptr<EVP_PKEY, PrivateKeyFree>;

struct SelfSignedOptions {
  // DNS names ("localhost") or IP literals ("127.0.0.1", "::1"); each becomes a
  // subjectAltName entry of its kind, the first is also the subject's CN. At least one.
  std::vector<std::string> names;
  // Start of validity relative to now: an hour back, so a client whose clock is a little
  // behind still accepts it. A negative `not_before` plus a short `validity` makes an
  // already-expired certificate (tests).
  std::chrono::seconds not_before{-std::chrono::hours(1)};
  // Bounded: a throwaway certificate should not outlive the workshop.
  std::chrono::seconds validity{std::chrono::hours(24 * 30)};
};

class SelfSignedCertificate {
 public:
  // Throws TlsSetupError on an empty name list or a name that is neither DNS nor IP.
  explicit SelfSignedCertificate(const SelfSignedOptions& options);

  X509* certificate() const { return certificate_.get(); }
  EVP_PKEY* private_key() const { return key_.get(); }
  // SHA-256 of the DER certificate, "AB:CD:…" as `openssl x509 -fingerprint -sha256` prints it.
  const std::string& fingerprint_sha256() const { return fingerprint_; }
  std::string certificate_pem() const;
  std::string private_key_pem() const;  // PKCS#8, unencrypted: for files only, never logs

 private:
  PrivateKeyPtr key_;
  X509Ptr certificate_;
  std::string fingerprint_;
};

// SHA-256 fingerprint of any certificate, in the same colon hex form.
std::string fingerprint_sha256(X509* certificate);

}  // namespace loadlab
