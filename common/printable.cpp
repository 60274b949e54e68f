#include "common/printable.h"

namespace loadlab {
namespace {

void append_printable(std::string& out, char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) {
    out += c;
  } else {
    out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]};
  }
}

}  // namespace

std::string printable_excerpt(std::string_view text, std::size_t max_chars) {
  std::string out;
  for (const char c : text) {
    append_printable(out, c);
    if (out.size() > max_chars) break;
  }
  if (out.size() <= max_chars) return out;
  // Cut: whole characters (an escape is never split) up to max_chars - 3, then "...".
  const std::size_t room = max_chars < 3 ? 0 : max_chars - 3;
  out.clear();
  for (const char c : text) {
    const std::size_t before = out.size();
    append_printable(out, c);
    if (out.size() > room) {
      out.resize(before);
      break;
    }
  }
  return out + "...";
}

}  // namespace loadlab
