// What the first bytes on a TLS port look like, so the server can answer plain HTTP sent to
// its HTTPS port with a 400 that says so (as nginx does) and simply close on anything else.
#pragma once

#include <string_view>

namespace loadlab {

enum class FirstBytes {
  kNeedMore,   // too few bytes to tell
  kTls,        // a TLS handshake record: 0x16 0x03 0x00..0x04
  kPlainHttp,  // an HTTP method token and a space ("GET ", "PROPFIND ")
  kGarbage,    // neither
};

FirstBytes classify_first_bytes(std::string_view bytes);

const char* to_string(FirstBytes kind);

}  // namespace loadlab
