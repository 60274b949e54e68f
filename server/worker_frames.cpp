#include "server/worker_frames.h"

namespace loadlab::server {

bool valid_frame(const JobFrame& frame) { return frame.method <= 1; }

// A divisor is > 1, and a prime has none (server/primality.h).
bool valid_frame(const ResultFrame& frame) {
  return frame.prime <= 1 && frame.divisor != 1 && !(frame.prime == 1 && frame.divisor != 0);
}

}  // namespace loadlab::server
