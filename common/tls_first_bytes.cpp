#include "common/tls_first_bytes.h"

#include <cstddef>

namespace loadlab {

namespace {

// RFC 9110 §5.6.2 tchar: what a method token is made of.
bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  for (const char allowed : std::string_view("!#$%&'*+-.^_`|~")) {
    if (c == static_cast<unsigned char>(allowed)) return true;
  }
  return false;
}

// Longer than any registered method (UPDATEREDIRECTREF is 17): a "token" this long is not one.
constexpr std::size_t kMaxMethod = 20;

}  // namespace

FirstBytes classify_first_bytes(std::string_view bytes) {
  if (bytes.empty()) return FirstBytes::kNeedMore;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  // RFC 8446 §5.1: ContentType handshake (22), legacy_record_version 0x03 0x01 (0x0300 ..
  // 0x0304 seen in the wild).
  if (byte(0) == 0x16) {
    if (bytes.size() >= 2 && byte(1) != 0x03) return FirstBytes::kGarbage;
    if (bytes.size() >= 3 && byte(2) > 0x04) return FirstBytes::kGarbage;
    return FirstBytes::kTls;
  }
  for (std::size_t i = 0; i < bytes.size() && i <= kMaxMethod; ++i) {
    if (byte(i) == ' ') return i > 0 ? FirstBytes::kPlainHttp : FirstBytes::kGarbage;
    if (!is_tchar(byte(i))) return FirstBytes::kGarbage;
  }
  return bytes.size() > kMaxMethod ? FirstBytes::kGarbage : FirstBytes::kNeedMore;
}

const char* to_string(FirstBytes kind) {
  switch (kind) {
    case FirstBytes::kNeedMore:
      return "need_more";
    case FirstBytes::kTls:
      return "tls";
    case FirstBytes::kPlainHttp:
      return "plain_http";
    case FirstBytes::kGarbage:
      return "garbage";
  }
  return "garbage";
}

}  // namespace loadlab
