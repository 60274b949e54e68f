#include "server/handlers/random_bytes.h"

#include <gtest/gtest.h>

#include <string>

namespace loadlab::server {
namespace {

std::string bytes(std::uint64_t seed, std::uint64_t offset, std::size_t count) {
  std::string out;
  append_random_bytes(out, seed, offset, count);
  return out;
}

TEST(RandomBytes, TheSameSeedGivesTheSameBytes) {
  EXPECT_EQ(bytes(42, 0, 4096), bytes(42, 0, 4096));
  EXPECT_NE(bytes(42, 0, 4096), bytes(43, 0, 4096));
  EXPECT_EQ(bytes(42, 0, 0), "");
}

TEST(RandomBytes, TheStreamIsCounterModeSplitmix64) {
  // docs/server.md names the generator: a client may reproduce a body from its X-Seed. These
  // are seed 42's first 20 bytes as its three words give them (computed independently).
  std::string hex;
  for (const char c : bytes(42, 0, 20)) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[static_cast<unsigned char>(c) >> 4];
    hex += kDigits[static_cast<unsigned char>(c) & 15];
  }
  EXPECT_EQ(hex, "956eeb2f2632d7bd03f166b233e3ef28529f0f13");
  EXPECT_EQ(bytes(42, 3, 17), bytes(42, 0, 20).substr(3));
}

TEST(RandomBytes, AnyRangeIsPartOfTheSameStream) {
  const std::string whole = bytes(7, 0, 1000);
  for (const std::uint64_t offset : {0, 1, 7, 8, 9, 63, 500}) {
    for (const std::size_t count : {0, 1, 3, 8, 17, 200}) {
      EXPECT_EQ(bytes(7, offset, count), whole.substr(offset, count)) << offset << "+" << count;
    }
  }
  std::string appended = "head";
  append_random_bytes(appended, 7, 0, 10);
  EXPECT_EQ(appended, "head" + whole.substr(0, 10));
}

TEST(RandomBytes, BytesLookRandom) {
  const std::string data = bytes(1, 0, 1 << 16);
  int counts[256] = {};
  for (const char c : data) ++counts[static_cast<unsigned char>(c)];
  for (const int count : counts) {
    EXPECT_GT(count, 128);  // 256 expected each
    EXPECT_LT(count, 384);
  }
}

TEST(RandomBytes, EveryKernelTheCpuRunsWritesThePortableKernelsWords) {
  const auto kernels = random_word_kernels();
  ASSERT_GE(kernels.size(), 1u);
  if (kernels.size() == 1) GTEST_SKIP() << "this CPU runs the portable kernel only";
  // Lengths around every vector width (2, 4 and 8 words) and their remainders, from a state
  // whose additions wrap around 2^64.
  for (const std::size_t words : {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 8191}) {
    for (const std::uint64_t state : {std::uint64_t{0}, random_word_state(~std::uint64_t{0}, 3)}) {
      std::string expected(words * 8 + 1, '#');
      kernels[0](expected.data(), words, state);
      for (std::size_t k = 1; k < kernels.size(); ++k) {
        std::string got(words * 8 + 1, '#');
        kernels[k](got.data(), words, state);
        EXPECT_EQ(got, expected) << "kernel " << k << ", " << words << " words";
      }
      EXPECT_EQ(expected.back(), '#') << "wrote past the last word";
    }
  }
}

TEST(RandomBytes, LongRangesFollowTheDefinitionWordByWord) {
  // What append_random_bytes writes (with the CPU's fastest kernel) against the definition in
  // docs/server.md, computed here one word at a time.
  const auto mix = [](std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  };
  const std::uint64_t seed = 0xfedcba9876543210;
  std::string expected;
  for (std::uint64_t j = 0; j < 4700; ++j) {
    const std::uint64_t word = mix(seed + (j + 1) * 0x9e3779b97f4a7c15);
    for (int b = 0; b < 8; ++b) expected += static_cast<char>(word >> (8 * b));
  }
  for (const std::uint64_t offset : {0, 5, 8, 4093}) {
    EXPECT_EQ(bytes(seed, offset, 32768 - 7), expected.substr(offset, 32768 - 7)) << offset;
  }
}

}  // namespace
}  // namespace loadlab::server
