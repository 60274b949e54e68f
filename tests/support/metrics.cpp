#include "tests/support/metrics.h"

#include <cstdlib>

#include "tests/support/http_client.h"

namespace loadlab::test {

double metric(std::uint16_t port, const std::string& name) {
  const auto response = http_get(port, "/metrics");
  if (!response || response->status != 200) return -1;
  const std::string& body = response->body;
  const std::string sample = name + " ";
  for (std::size_t at = body.find(sample); at != std::string::npos;
       at = body.find(sample, at + 1)) {
    if (at != 0 && body[at - 1] != '\n') continue;  // a longer name ending in this one
    return std::strtod(body.c_str() + at + sample.size(), nullptr);
  }
  return -1;
}

}  // namespace loadlab::test
