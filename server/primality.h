// The two primality tests behind /prime/N. Pure functions: the worker processes run them,
// the unit tests check them against each other.
#pragma once

#include <cstdint>

namespace loadlab::server {

struct PrimalityResult {
  bool prime;
  std::uint64_t divisor;  // the smallest divisor > 1 when found (trial division), else 0
};

// The talk's trial division, made correct: 0 and 1 are not prime, 2 is, even numbers stop at
// once, odd divisors run up to sqrt(n) without overflowing for n near 2^64.
PrimalityResult trial_division(std::uint64_t n);

// Deterministic Miller-Rabin for every 64-bit n: the first twelve primes as bases are enough
// below 3.3 * 10^24. Finds no divisor (0) except for even n.
PrimalityResult miller_rabin(std::uint64_t n);

}  // namespace loadlab::server
