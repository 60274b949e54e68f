#include "loadgen/flag_bounds.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "common/decimal.h"
#include "loadgen/options.h"

namespace loadlab::loadgen {

std::string describe_ms(std::uint64_t ms) {
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

CLI::Validator whole_number_in(std::uint64_t low, std::uint64_t high) {
  const std::string bounds =
      "a whole number from " + std::to_string(low) + " to " + std::to_string(high);
  return CLI::Validator(
      [low, high, bounds](std::string& text) -> std::string {
        const auto value = parse_decimal_u64(text);
        if (!value || *value < low || *value > high)
          return "must be " + bounds + ", got '" + text + "'";
        return {};
      },
      "INT in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
}

CLI::Validator duration_in(std::uint64_t low_ms, std::uint64_t high_ms) {
  const std::string bounds = "a duration from " + describe_ms(low_ms) + " to " +
                             describe_ms(high_ms) + " (e.g. 500ms, 10s, 2m, 1h)";
  return CLI::Validator(
      [low_ms, high_ms, bounds](std::string& text) -> std::string {
        try {
          const std::uint64_t ms = parse_duration_ms(text);
          if (ms >= low_ms && ms <= high_ms) return {};
        } catch (const std::invalid_argument&) {
        }
        return "must be " + bounds + ", got '" + text + "'";
      },
      "DURATION in [" + describe_ms(low_ms) + ", " + describe_ms(high_ms) + "]");
}

CLI::Validator number_in(double low, double high) {
  char text[96];
  std::snprintf(text, sizeof text, "a number of at least %g and at most %.0f", low, high);
  const std::string bounds = text;
  std::snprintf(text, sizeof text, "NUMBER in [%g, %.0f]", low, high);
  return CLI::Validator(
      [low, high, bounds](std::string& value_text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const double value = std::strtod(value_text.c_str(), &end);
        const bool parsed =
            !value_text.empty() && end == value_text.c_str() + value_text.size() && errno == 0;
        if (!parsed || !std::isfinite(value) || value < low || value > high) {
          return "must be " + bounds + ", got '" + value_text + "'";
        }
        return {};
      },
      text);
}

}  // namespace loadlab::loadgen
