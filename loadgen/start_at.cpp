#include "loadgen/start_at.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "loadgen/options.h"

namespace loadlab::loadgen {
namespace {

// `digits` decimal digits at `text[at]`, or -1.
int number_at(const std::string& text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// RFC 3339 §5.6 date-time: full-date "T" partial-time time-offset.
double parse_rfc3339(const std::string& text) {
  const auto bad = [&text](const std::string& why) {
    return std::invalid_argument("--start-at '" + text + "': " + why +
                                 " (expected +10s or an RFC 3339 time such as "
                                 "2025-05-01T12:00:00Z or 2025-05-01T14:00:00+02:00)");
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' || text[16] != ':')
    throw bad("not a time");
  const int year = number_at(text, 0, 4), month = number_at(text, 5, 2),
            day = number_at(text, 8, 2), hour = number_at(text, 11, 2),
            minute = number_at(text, 14, 2), second = number_at(text, 17, 2);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && is_leap(year) ? 1 : 0) || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 60)
    throw bad("a field is out of range");
  std::size_t at = 19;
  double fraction = 0;
  if (at < text.size() && text[at] == '.') {
    double scale = 0.1;
    const std::size_t first = ++at;
    for (; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at) {
      fraction += (text[at] - '0') * scale;
      scale /= 10;
    }
    if (at == first) throw bad("no digits after the decimal point");
  }
  int offset_s = 0;
  const std::string zone = text.substr(at);
  if (zone == "Z" || zone == "z") {
    offset_s = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    const int h = number_at(zone, 1, 2), m = number_at(zone, 4, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59) throw bad("a bad offset");
    offset_s = (h * 60 + m) * 60 * (zone[0] == '-' ? -1 : 1);
  } else {
    throw bad(zone.empty() ? "no time offset (Z or +HH:MM)" : "a bad time offset '" + zone + "'");
  }
  std::tm utc{};
  utc.tm_year = year - 1900;
  utc.tm_mon = month - 1;
  utc.tm_mday = day;
  utc.tm_hour = hour;
  utc.tm_min = minute;
  utc.tm_sec = second;
  return static_cast<double>(timegm(&utc)) + fraction - offset_s;
}

}  // namespace

double parse_start_at(const std::string& text, double now_unix) {
  double start = 0;
  if (!text.empty() && text[0] == '+') {
    try {
      start = now_unix + static_cast<double>(parse_duration_ms(text.substr(1))) / 1000.0;
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument("--start-at '" + text + "': " + error.what());
    }
  } else {
    start = parse_rfc3339(text);
  }
  char why[160];
  if (start - now_unix > kMaxStartAheadS) {
    std::snprintf(why, sizeof why, "is %.0f s from now; it may be at most 24 h ahead",
                  start - now_unix);
    throw std::invalid_argument("--start-at '" + text + "' " + why);
  }
  if (now_unix - start > kMaxStartBehindS) {
    std::snprintf(why, sizeof why,
                  "was %.0f s ago; it may be at most 10 minutes in the past (give the run a new "
                  "instant)",
                  now_unix - start);
    throw std::invalid_argument("--start-at '" + text + "' " + why);
  }
  return start;
}

}  // namespace loadlab::loadgen
