// The IMF-fixdate every response carries in its Date header (RFC 9110 §5.6.7).
#pragma once

#include <ctime>
#include <string_view>

namespace loadlab {

// Formats at most once per second: a server answering 100k requests a second must not
// call gmtime/strftime for each of them. One instance per event loop; not thread-safe.
class HttpDate {
 public:
  std::string_view now();
  std::string_view at(std::time_t seconds);

 private:
  std::time_t formatted_for_ = -1;
  char text_[32] = {};
  std::size_t length_ = 0;
};

}  // namespace loadlab
