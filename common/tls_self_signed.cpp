#include "common/tls_self_signed.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/ip_literal.h"
#include "common/tls_error.h"

namespace loadlab {

void X509Free::operator()(X509* certificate) const noexcept { X509_free(certificate); }
void PrivateKeyFree::operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }

namespace {

// A host name as RFC 1123 allows it (letters, digits, '-', dots), optionally "*." first.
bool is_dns_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' ||
                    (c == '*' && i == 0 && name.size() > 2 && name[1] == '.');
    if (!ok) return false;
  }
  return true;
}

void add_extension(X509* certificate, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) throw_tls_setup_error("cannot make the certificate extension " + value);
  const int added = X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  if (added != 1) throw_tls_setup_error("cannot add the certificate extension " + value);
}

std::string pem_of(const auto& write) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || write(bio) != 1) {
    BIO_free(bio);
    throw_tls_setup_error("cannot write PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return text;
}

}  // namespace

SelfSignedCertificate::SelfSignedCertificate(const SelfSignedOptions& options) {
  if (options.names.empty())
    throw TlsSetupError("a self-signed certificate needs at least one host name or IP address");
  std::string alt_names;
  for (const auto& name : options.names) {
    if (!alt_names.empty()) alt_names += ',';
    if (is_ip_literal(name)) {
      alt_names += "IP:" + name;
    } else if (is_dns_name(name)) {
      alt_names += "DNS:" + name;
    } else {
      throw TlsSetupError("'" + name + "' is neither a host name nor an IP address");
    }
  }
  if (options.validity.count() <= 0)
    throw TlsSetupError("a certificate's validity must be positive");

  key_.reset(EVP_EC_gen("P-256"));
  if (!key_) throw_tls_setup_error("cannot make a P-256 key");
  certificate_.reset(X509_new());
  X509* cert = certificate_.get();
  if (cert == nullptr) throw_tls_setup_error("cannot make a certificate");
  X509_set_version(cert, X509_VERSION_3);

  // RFC 5280 §4.1.2.2: positive, unique per issuer, at most 20 octets; 127 random bits.
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1)
    throw_tls_setup_error("no randomness for the serial");
  serial_bytes[0] &= 0x7f;
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  const bool serial_set =
      serial != nullptr && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) != nullptr;
  BN_free(serial);
  if (!serial_set) throw_tls_setup_error("cannot set the serial");

  if (X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(options.not_before.count())) ==
          nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert),
                      static_cast<long>((options.not_before + options.validity).count())) ==
          nullptr) {
    throw_tls_setup_error("cannot set the validity period");
  }

  X509_NAME* subject = X509_get_subject_name(cert);
  const std::string& common_name = options.names.front();
  if (X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("loadlab"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(cert, subject) != 1 || X509_set_pubkey(cert, key_.get()) != 1) {
    throw_tls_setup_error("cannot set the certificate's names");
  }
  // An end-entity certificate that clients trust directly (--cacert / ssl.create_default_context
  // (cafile=...)): not a CA, usable by servers and, for tests, as a client certificate.
  add_extension(cert, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert, NID_key_usage, "critical,digitalSignature");
  add_extension(cert, NID_ext_key_usage, "serverAuth,clientAuth");
  add_extension(cert, NID_subject_key_identifier, "hash");
  add_extension(cert, NID_authority_key_identifier, "keyid:always");
  add_extension(cert, NID_subject_alt_name, alt_names);

  if (X509_sign(cert, key_.get(), EVP_sha256()) == 0)
    throw_tls_setup_error("cannot sign the certificate");
  fingerprint_ = loadlab::fingerprint_sha256(cert);
}

std::string SelfSignedCertificate::certificate_pem() const {
  return pem_of([this](BIO* bio) { return PEM_write_bio_X509(bio, certificate_.get()); });
}

std::string SelfSignedCertificate::private_key_pem() const {
  return pem_of([this](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}

std::string fingerprint_sha256(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1)
    throw_tls_setup_error("cannot hash the certificate");
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(length * 3);
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) text += ':';
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 0x0f];
  }
  return text;
}

}  // namespace loadlab
