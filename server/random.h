// The server's random choices (a jittered delay, a weighted status): splitmix64, small and
// fast, with no global state. A choice asked with `seed=S` draws from a generator seeded with S,
// so the same seed gives the same choice on every loop, run and machine; without a seed each
// handler draws from its own generator, seeded once when its loop starts (never std::rand,
// whose state is global and shared by threads).
#pragma once

#include <cstdint>

#include "common/uint128.h"

namespace loadlab::server {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  // A generator for one loop, seeded from the OS's entropy and the clock.
  static SplitMix64 from_entropy();

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound) (bound > 0), without modulo bias: Lemire's multiply-shift with
  // rejection of the few low products that would favour some values.
  std::uint64_t below(std::uint64_t bound) {
    uint128 product = static_cast<uint128>(next()) * bound;
    auto low = static_cast<std::uint64_t>(product);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        product = static_cast<uint128>(next()) * bound;
        low = static_cast<std::uint64_t>(product);
      }
    }
    return static_cast<std::uint64_t>(product >> 64);
  }

 private:
  std::uint64_t state_;
};

}  // namespace loadlab::server
