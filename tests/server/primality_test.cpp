#include "server/primality.h"

#include <gtest/gtest.h>

#include <random>

namespace loadlab::server {
namespace {

TEST(Primality, KnownValues) {
  struct Case {
    std::uint64_t n;
    bool prime;
    std::uint64_t divisor;
  };
  const Case cases[] = {
      {0, false, 0},
      {1, false, 0},
      {2, true, 0},
      {3, true, 0},
      {4, false, 2},
      {9, false, 3},
      {561, false, 3},  // Carmichael numbers fool Fermat, not these tests
      {1105, false, 5},
      {7919, true, 0},
      {1000003ULL * 1000003ULL, false, 1000003},
      {2305843009213693951ULL, true, 0},  // 2^61 - 1
      {18446744073709551615ULL, false, 3},
  };
  for (const auto& c : cases) {
    const auto trial = trial_division(c.n);
    EXPECT_EQ(trial.prime, c.prime) << c.n;
    EXPECT_EQ(trial.divisor, c.divisor) << c.n;
    EXPECT_EQ(miller_rabin(c.n).prime, c.prime) << c.n;
  }
  EXPECT_TRUE(miller_rabin(18446744073709551557ULL).prime);  // the largest 64-bit prime
  EXPECT_FALSE(miller_rabin(3215031751ULL).prime);  // strong pseudoprime to bases 2, 3, 5, 7
  EXPECT_FALSE(miller_rabin(3825123056546413051ULL).prime);  // strong pseudoprime to bases 2..23
}

TEST(Primality, MethodsAgreeOnRandomNumbers) {
  std::mt19937_64 random(2026);
  std::uniform_int_distribution<std::uint64_t> small(0, 10'000'000);
  for (int i = 0; i < 5000; ++i) {
    const std::uint64_t n = small(random);
    EXPECT_EQ(trial_division(n).prime, miller_rabin(n).prime) << n;
  }
  // Products of two primes near 2^32: the hard composites for trial division, easy for MR.
  for (std::uint64_t p : {4294967291ULL, 4294967279ULL}) {
    for (std::uint64_t q : {4294967231ULL, 4294967197ULL}) {
      EXPECT_FALSE(miller_rabin(p * q).prime);
    }
  }
  std::uniform_int_distribution<std::uint64_t> medium(1ULL << 40, 1ULL << 42);
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t n = medium(random);
    const auto trial = trial_division(n);
    EXPECT_EQ(trial.prime, miller_rabin(n).prime) << n;
    if (!trial.prime) {
      EXPECT_EQ(n % trial.divisor, 0u);
    }
  }
}

}  // namespace
}  // namespace loadlab::server
