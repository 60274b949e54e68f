#include "server/handlers/seed_streams.h"

#include <gtest/gtest.h>

#include <string>

#include "server/handlers/bytes.h"

namespace loadlab::server {
namespace {

std::string generated(std::uint64_t seed, std::uint64_t offset, std::size_t count) {
  std::string out;
  append_random_bytes(out, seed, offset, count);
  return out;
}

TEST(SeedStreams, KeptBytesAreTheGeneratedStream) {
  SeedStreams streams;
  // Pieces in order, as a body asks for them, then again from the start, out of order.
  for (std::uint64_t offset = 0; offset < 300'000; offset += 65'536) {
    EXPECT_EQ(streams.range(9, offset, 65'536), generated(9, offset, 65'536)) << offset;
  }
  EXPECT_EQ(streams.range(9, 7, 100'001), generated(9, 7, 100'001));
  EXPECT_EQ(streams.range(10, 0, 4096), generated(10, 0, 4096));
  EXPECT_NE(streams.range(10, 0, 4096), streams.range(9, 0, 4096));
  EXPECT_EQ(streams.range(9, 500'000, 3), generated(9, 500'000, 3));
}

TEST(SeedStreams, OnlyTheFirstBytesOfAFewSeedsAreKept) {
  SeedStreams streams;
  EXPECT_TRUE(streams.range(1, kSeedStreamBytes - 1, 2).empty());  // past the bound
  EXPECT_TRUE(streams.range(1, 0, 0).empty());
  EXPECT_EQ(streams.range(1, kSeedStreamBytes - 2, 2), generated(1, kSeedStreamBytes - 2, 2));
  // More seeds than it keeps, each as far as the bound: memory stays within the bound, and
  // a seed replaced and asked for again is generated again, the same.
  for (std::uint64_t seed = 0; seed < 3 * kSeedStreams; ++seed) {
    ASSERT_EQ(streams.range(seed, kSeedStreamBytes - 8, 8),
              generated(seed, kSeedStreamBytes - 8, 8));
    EXPECT_LE(streams.held_bytes(), kSeedStreams * (kSeedStreamBytes + 64));
  }
  EXPECT_EQ(streams.range(0, 0, 64), generated(0, 0, 64));
  // A small body of a new seed costs only its own bytes.
  SeedStreams fresh;
  fresh.range(5, 0, 16);
  EXPECT_LT(fresh.held_bytes(), 4096u);
}

}  // namespace
}  // namespace loadlab::server
