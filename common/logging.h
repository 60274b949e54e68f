// One place that turns --log-level / --log-format into spdlog's default logger.
#pragma once

#include <string>
#include <string_view>

namespace loadlab {

enum class LogFormat { kText, kJson };

// Logs go to stderr so stdout stays free for machine-readable lines (the server's
// "listening" line, the loadgen's --json -). Throws std::invalid_argument on a bad level.
void setup_logging(const std::string& level, LogFormat format, const std::string& program);

// JSON string escaping for log payloads and hand-built JSON bodies.
std::string json_escape(std::string_view text);

}  // namespace loadlab
