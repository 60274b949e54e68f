// Fuzz target: URL templates from the command line. A template is either rejected with
// std::invalid_argument or renders paths without a crash; a fixed one renders itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

#include "loadgen/url_template.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const loadlab::loadgen::UrlTemplate url(text);
    std::mt19937_64 random(size);
    std::string out;
    for (std::uint64_t seq = 0; seq < 4; ++seq) {
      out.clear();
      url.render(out, random, seq == 3 ? UINT64_MAX : seq);
    }
    if (url.is_fixed() && out != text) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
