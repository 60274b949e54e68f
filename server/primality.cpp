#include "server/primality.h"

#include "common/uint128.h"

namespace loadlab::server {
namespace {

// A 64x64 multiply and a 128/64 remainder in 128 bits: no overflow.
std::uint64_t mul_mod(std::uint64_t a, std::uint64_t b, std::uint64_t m) {
  return static_cast<std::uint64_t>(static_cast<uint128>(a) * b % m);
}

std::uint64_t pow_mod(std::uint64_t base, std::uint64_t exponent, std::uint64_t m) {
  std::uint64_t result = 1;
  base %= m;
  while (exponent > 0) {
    if (exponent & 1) result = mul_mod(result, base, m);
    base = mul_mod(base, base, m);
    exponent >>= 1;
  }
  return result;
}

}  // namespace

PrimalityResult trial_division(std::uint64_t n) {
  if (n < 2) return {false, 0};
  if (n % 2 == 0) return {n == 2, n == 2 ? std::uint64_t{0} : std::uint64_t{2}};
  for (std::uint64_t d = 3; d <= n / d; d += 2) {
    if (n % d == 0) return {false, d};
  }
  return {true, 0};
}

PrimalityResult miller_rabin(std::uint64_t n) {
  if (n < 2) return {false, 0};
  static constexpr std::uint64_t kBases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
  for (std::uint64_t p : kBases) {
    if (n == p) return {true, 0};
    if (n % p == 0) return {false, 0};
  }
  std::uint64_t d = n - 1;
  int shifts = 0;
  while (d % 2 == 0) {
    d /= 2;
    ++shifts;
  }
  for (std::uint64_t a : kBases) {
    std::uint64_t x = pow_mod(a, d, n);
    if (x == 1 || x == n - 1) continue;
    bool witness = true;
    for (int r = 1; r < shifts && witness; ++r) {
      x = mul_mod(x, x, n);
      if (x == n - 1) witness = false;
    }
    if (witness) return {false, 0};
  }
  return {true, 0};
}

}  // namespace loadlab::server
