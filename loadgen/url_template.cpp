#include "loadgen/url_template.h"

#include <charconv>
#include <stdexcept>

#include "common/decimal.h"

namespace loadlab::loadgen {
namespace {

void append_uint(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

}  // namespace

UrlTemplate::UrlTemplate(const std::string& text) {
  std::size_t position = 0;
  while (position < text.size()) {
    const auto open = text.find('{', position);
    if (open == std::string::npos) {
      parts_.push_back({Part::Kind::kLiteral, text.substr(position)});
      break;
    }
    if (open > position)
      parts_.push_back({Part::Kind::kLiteral, text.substr(position, open - position)});
    const auto close = text.find('}', open);
    if (close == std::string::npos)
      throw std::invalid_argument("unterminated '{' in URL template '" + text + "'");
    const std::string_view placeholder(text.data() + open + 1, close - open - 1);
    if (placeholder == "seq") {
      parts_.push_back({Part::Kind::kSequence, {}});
    } else if (placeholder.starts_with("rand:")) {
      const std::string_view range = placeholder.substr(5);
      const auto colon = range.find(':');
      const auto low = parse_decimal_u64(range.substr(0, colon));
      const auto high = colon == std::string_view::npos
                            ? std::nullopt
                            : parse_decimal_u64(range.substr(colon + 1));
      if (!low || !high || *low > *high) {
        throw std::invalid_argument("bad {rand:A:B} in '" + text +
                                    "': A and B are decimal with A <= B");
      }
      parts_.push_back({Part::Kind::kRandom, {}, *low, *high});
    } else {
      throw std::invalid_argument("unknown placeholder {" + std::string(placeholder) + "} in '" +
                                  text + "' (known: {rand:A:B}, {seq})");
    }
    fixed_ = false;
    position = close + 1;
  }
}

void UrlTemplate::render(std::string& out, std::mt19937_64& random, std::uint64_t seq) const {
  for (const auto& part : parts_) {
    switch (part.kind) {
      case Part::Kind::kLiteral:
        out.append(part.text);
        break;
      case Part::Kind::kRandom:
        append_uint(out, std::uniform_int_distribution<std::uint64_t>(part.low, part.high)(random));
        break;
      case Part::Kind::kSequence:
        append_uint(out, seq);
        break;
    }
  }
}

}  // namespace loadlab::loadgen
