// Reading one sample of the server's /metrics, as tests do.
#pragma once

#include <cstdint>
#include <string>

namespace loadlab::test {

// The value of the sample `name` (exactly as printed, labels included, e.g.
// `loadlab_prime_jobs_total{outcome="ok"}`) from a fresh GET /metrics; -1 if the server did
// not answer or printed no such sample, so a missing metric never equals an expected count.
double metric(std::uint16_t port, const std::string& name);

}  // namespace loadlab::test
