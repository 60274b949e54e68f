#include "server/random.h"

#include <uv.h>

#include <random>

namespace loadlab::server {

SplitMix64 SplitMix64::from_entropy() {
  std::random_device device;
  const std::uint64_t entropy = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  return SplitMix64(entropy ^ uv_hrtime());
}

}  // namespace loadlab::server
