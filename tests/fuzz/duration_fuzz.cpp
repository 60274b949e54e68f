// Fuzz target: durations given to -d, --interval, --timeout and --connect-timeout. Each is
// rejected with std::invalid_argument or is a whole number of milliseconds that did not wrap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "loadgen/options.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const std::uint64_t ms = loadlab::loadgen::parse_duration_ms(text);
    // A plain number of seconds (the default unit) is at least that many thousand ms.
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
        text.size() < 16 && ms != std::stoull(text) * 1000) {
      std::abort();
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
