// Errors of the TLS layer's set-up (bad file, key mismatch, ...): exceptions, because they are
// start-up failures a user fixes and retries. Nothing at run time throws: sessions report
// failures as values (common/tls_session.h).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace loadlab {

class TlsSetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Drains this thread's OpenSSL error queue into one line ("reason; reason"), or "" when empty.
// Draining matters beyond the message: a stale entry would mislead the next SSL_get_error.
std::string take_openssl_errors();

// Throws TlsSetupError("<what>: <OpenSSL's reasons>").
[[noreturn]] void throw_tls_setup_error(std::string_view what);

}  // namespace loadlab
