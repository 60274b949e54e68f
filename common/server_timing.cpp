#include "common/server_timing.h"

#include <charconv>

namespace loadlab {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
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
    if (name.empty() || semicolon == std::string_view::npos) continue;
    std::string_view params = entry.substr(semicolon + 1);
    while (!params.empty()) {
      const auto next = params.find(';');
      const std::string_view param = trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      if (!param.starts_with("dur=")) continue;
      std::string_view number = param.substr(4);
      if (number.size() >= 2 && number.front() == '"' && number.back() == '"') number = number.substr(1, number.size() - 2);
      double value = 0;
      const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
      if (ec == std::errc() && end == number.data() + number.size() && value >= 0) {
        metrics.push_back({std::string(name), value});
      }
      break;
    }
  }
  return metrics;
}

}  // namespace loadlab
