// Request paths that vary per request: "/{rand:1:1000}/" is the talk's randint(1, 1000);
// "{seq}" is the request's sequence number in the run.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace loadlab::loadgen {

class UrlTemplate {
 public:
  // Throws std::invalid_argument for an unknown or malformed placeholder.
  explicit UrlTemplate(const std::string& text);

  bool is_fixed() const { return fixed_; }
  // Appends the rendered path to `out` (no allocation once `out` has grown).
  void render(std::string& out, std::mt19937_64& random, std::uint64_t seq) const;

 private:
  struct Part {
    enum class Kind : std::uint8_t { kLiteral, kRandom, kSequence } kind;
    std::string text;       // kLiteral
    std::uint64_t low = 0;  // kRandom: uniform in [low, high]
    std::uint64_t high = 0;
  };
  std::vector<Part> parts_;
  bool fixed_ = true;
};

}  // namespace loadlab::loadgen
