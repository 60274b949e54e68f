#include "common/server_timing.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace loadlab {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 9110 token: a metric name is one, so it is safe as a JSON key, a label and in HTML.
bool is_token(std::string_view text) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  for (const char c : text) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && kSymbols.find(c) == std::string_view::npos) return false;
  }
  return !text.empty();
}

}  // namespace

std::vector<ServerTimingMetric> parse_server_timing(std::string_view header) {
  std::vector<ServerTimingMetric> metrics;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view entry = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const auto semicolon = entry.find(';');
    const std::string_view name = trim(entry.substr(0, semicolon));
    if (!is_token(name) || semicolon == std::string_view::npos) continue;
    std::string_view params = entry.substr(semicolon + 1);
    while (!params.empty()) {
      const auto next = params.find(';');
      const std::string_view param = trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      if (!param.starts_with("dur=")) continue;
      std::string_view number = param.substr(4);
      if (number.size() >= 2 && number.front() == '"' && number.back() == '"')
        number = number.substr(1, number.size() - 2);
      double value = 0;
      const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
      if (ec == std::errc() && end == number.data() + number.size() && std::isfinite(value) &&
          value >= 0) {
        metrics.push_back({std::string(name), value});
      }
      break;
    }
  }
  return metrics;
}

}  // namespace loadlab
