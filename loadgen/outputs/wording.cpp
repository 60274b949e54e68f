#include "loadgen/outputs/wording.h"

#include <cstdio>

#include "loadgen/format.h"

namespace loadlab::loadgen {

// Said in every output, so that a sum that does not add up is explained rather than silent.
std::vector<std::string> report_notes(const RunStats& s) {
  std::vector<std::string> list(s.warnings);
  const std::uint64_t covered = s.by_url_total();
  if (!s.by_url.empty() && covered != s.total()) {
    list.push_back(
        "the per-URL rows cover " + std::to_string(covered) + " of " + std::to_string(s.total()) +
        " requests: some merged reports have no per-URL breakdown (written by an older loadgen)");
  }
  for (const auto& u : s.by_url) {
    if (u.url == kOtherUrls) {
      list.push_back("the per-URL rows name the first " + std::to_string(kMaxUrlRows) +
                     " distinct URLs; the others are added up in the row \"" + kOtherUrls + "\"");
    }
  }
  return list;
}

std::string unsent_warning(std::uint64_t unsent) {
  return std::to_string(unsent) +
         " requests were due but never sent: every connection was still busy when the run ended.";
}

std::string late_start_warning(std::uint64_t late_starts, std::uint64_t max_start_lag_us) {
  return std::to_string(late_starts) + " requests started late (up to " +
         format_duration_us(static_cast<double>(max_start_lag_us)) +
         ") because every connection was busy";
}

std::string not_kept_up_warning(const RunStats::RateCheck& rate) {
  char line[160];
  std::snprintf(line, sizeof line,
                "Could not keep up: %.1f req/s were asked for, %.1f req/s were achieved.",
                rate.requested, rate.achieved);
  return line;
}

std::string resent_reason(std::string_view wrap) {
  return "their kept-alive connection, idle for 1 ms or more," + std::string(wrap) +
         "closed before any answer (the server's idle timeout crossing the send)";
}

}  // namespace loadlab::loadgen
