// Text from a peer (a scraped target's bytes, its error's words) made fit for a message, a
// report and a JSON writer (which refuses invalid UTF-8): printable ASCII only, and short.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loadlab {

// `text` with every byte outside printable ASCII (0x20-0x7e) written as \xNN, cut to at most
// `max_chars` characters (ending "..." when cut). Made printable twice, text stays the same.
std::string printable_excerpt(std::string_view text, std::size_t max_chars = 80);

}  // namespace loadlab
