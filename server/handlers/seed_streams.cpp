#include "server/handlers/seed_streams.h"

#include <algorithm>

#include "server/handlers/bytes.h"

namespace loadlab::server {

std::string_view SeedStreams::range(std::uint64_t seed, std::uint64_t offset, std::uint64_t count) {
  if (offset + count > kSeedStreamBytes || count == 0) return {};
  Entry* entry = nullptr;
  for (Entry& candidate : entries_) {
    if (candidate.used != 0 && candidate.seed == seed) entry = &candidate;
  }
  if (entry == nullptr) {
    entry = &*std::min_element(entries_.begin(), entries_.end(),
                               [](const Entry& a, const Entry& b) { return a.used < b.used; });
    entry->seed = seed;
    entry->bytes.clear();
  }
  entry->used = ++clock_;
  // Grown to what this request's body reaches (at most kSeedStreamBytes), not beyond: a
  // 16-byte body does not cost 2 MiB of generation.
  if (entry->bytes.size() < offset + count) {
    if (entry->bytes.capacity() < offset + count) {  // doubling, but never past the bound
      entry->bytes.reserve(static_cast<std::size_t>(std::min(
          kSeedStreamBytes, std::max<std::uint64_t>(offset + count, 2 * entry->bytes.size()))));
    }
    const std::uint64_t have = entry->bytes.size();
    append_random_bytes(entry->bytes, seed, have, static_cast<std::size_t>(offset + count - have));
  }
  return std::string_view(entry->bytes).substr(offset, count);
}

std::size_t SeedStreams::held_bytes() const {
  std::size_t total = 0;
  for (const Entry& entry : entries_) total += entry.bytes.capacity();
  return total;
}

}  // namespace loadlab::server
