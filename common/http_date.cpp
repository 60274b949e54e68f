#include "common/http_date.h"

namespace loadlab {

std::string_view HttpDate::now() { return at(std::time(nullptr)); }

std::string_view HttpDate::at(std::time_t seconds) {
  if (seconds != formatted_for_) {
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    length_ = std::strftime(text_, sizeof text_, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    formatted_for_ = seconds;
  }
  return {text_, length_};
}

}  // namespace loadlab
