// The /bytes streams of the seeds asked for last, kept per loop: a client that fetches the
// same seeded body again and again (a benchmark, a test suite) gets it copied from memory
// instead of generated again, which is most of what a large body costs the server. Only
// seeded requests use it (a drawn seed is never asked for twice), and it is bounded: a few
// seeds, the first kSeedStreamBytes of each (up to kSeedStreams * kSeedStreamBytes = 8 MiB
// per loop while that many seeded bodies of 2 MiB are asked for).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loadlab::server {

inline constexpr std::size_t kSeedStreams = 4;
inline constexpr std::uint64_t kSeedStreamBytes = 2 * 1024 * 1024;

class SeedStreams {
 public:
  // Bytes [offset, offset + count) of `seed`'s stream if they lie within its first
  // kSeedStreamBytes and are kept or follow on from what is kept (generated now if need be);
  // empty if not: the caller generates them. A seed not kept is taken in only from offset 0.
  std::string_view range(std::uint64_t seed, std::uint64_t offset, std::uint64_t count);
  // Heap bytes held, for tests.
  std::size_t held_bytes() const;
  // Bytes generated into the kept streams so far, for tests.
  std::uint64_t generated_bytes() const { return generated_bytes_; }

 private:
  struct Entry {
    std::uint64_t seed = 0;
    std::uint64_t used = 0;  // when last asked (a counter): the least recent is replaced
    std::string bytes;       // the stream's first bytes.size() bytes
  };
  std::array<Entry, kSeedStreams> entries_;
  std::uint64_t clock_ = 0;
  std::uint64_t generated_bytes_ = 0;
};

}  // namespace loadlab::server
