#include "loadgen/format.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace loadlab::loadgen {

std::string format_duration_us(double us) {
  char text[32];
  if (us < 1000)
    std::snprintf(text, sizeof text, "%.0fus", us);
  else if (us < 1'000'000)
    std::snprintf(text, sizeof text, "%.2fms", us / 1000);
  else
    std::snprintf(text, sizeof text, "%.3fs", us / 1e6);
  return text;
}

std::string iso_time(double unix_seconds) {
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char full[64];
  std::snprintf(full, sizeof full, "%s.%03dZ", text,
                static_cast<int>((unix_seconds - std::floor(unix_seconds)) * 1000));
  return full;
}

}  // namespace loadlab::loadgen
