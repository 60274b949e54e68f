#include "common/tls_error.h"

#include <openssl/err.h>

namespace loadlab {

std::string take_openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    // "error:0A000086:SSL routines::certificate verify failed": the reason is the readable part.
    std::string_view view(line);
    if (const auto colon = view.rfind(':'); colon != std::string_view::npos)
      view.remove_prefix(colon + 1);
    if (!text.empty()) text += "; ";
    text += view;
  }
  return text;
}

void throw_tls_setup_error(std::string_view what) {
  std::string message(what);
  const std::string reasons = take_openssl_errors();
  if (!reasons.empty()) message += ": " + reasons;
  throw TlsSetupError(message);
}

}  // namespace loadlab
