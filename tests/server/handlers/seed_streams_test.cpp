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
  // Past a gap in what is kept: the caller's to generate.
  EXPECT_TRUE(streams.range(9, 500'000, 3).empty());
  EXPECT_EQ(streams.range(9, 300'000, 100'000), generated(9, 300'000, 100'000));  // contiguous
}

TEST(SeedStreams, OnlyTheFirstBytesOfAFewSeedsAreKept) {
  SeedStreams streams;
  EXPECT_TRUE(streams.range(1, kSeedStreamBytes - 1, 2).empty());  // past the bound
  EXPECT_TRUE(streams.range(1, 0, 0).empty());
  EXPECT_TRUE(streams.range(1, kSeedStreamBytes - 2, 2).empty());  // not kept: from 0 only
  // More seeds than it keeps, each as far as the bound: memory stays within the bound, and
  // a seed replaced and asked for again is generated again, the same.
  for (std::uint64_t seed = 0; seed < 3 * kSeedStreams; ++seed) {
    ASSERT_EQ(streams.range(seed, 0, kSeedStreamBytes), generated(seed, 0, kSeedStreamBytes));
    EXPECT_LE(streams.held_bytes(), kSeedStreams * (kSeedStreamBytes + 64));
  }
  EXPECT_EQ(streams.range(0, 0, 64), generated(0, 0, 64));
  // A replaced seed's memory is given back: one more seed of 16 bytes replaces one of 2 MiB.
  const std::size_t before = streams.held_bytes();
  streams.range(1000, 0, 16);
  EXPECT_LE(streams.held_bytes() + kSeedStreamBytes, before + 4096);
  // A small body of a new seed costs only its own bytes.
  SeedStreams fresh;
  fresh.range(5, 0, 16);
  EXPECT_LT(fresh.held_bytes(), 4096u);
}

// More seeded bodies at once than there are entries, their pieces interleaved (as when 5
// clients fetch 2 MiB seeded bodies from one loop): each piece is generated once at most,
// never the stream again from byte 0 up to it (which would cost the square of the length).
TEST(SeedStreams, InterleavedBodiesCostTheirOwnBytes) {
  SeedStreams streams;
  constexpr std::uint64_t kBodies = kSeedStreams + 1, kPiece = 64 * 1024;
  std::uint64_t asked = 0;
  for (std::uint64_t offset = 0; offset < kSeedStreamBytes; offset += kPiece) {
    for (std::uint64_t seed = 0; seed < kBodies; ++seed) {
      const std::string_view kept = streams.range(seed, offset, kPiece);
      if (!kept.empty()) {
        ASSERT_EQ(kept, generated(seed, offset, kPiece)) << seed << " " << offset;
      }
      asked += kPiece;
    }
  }
  EXPECT_LE(streams.generated_bytes(), asked);
  EXPECT_LE(streams.held_bytes(), kSeedStreams * (kSeedStreamBytes + 64));
}

}  // namespace
}  // namespace loadlab::server
