// The byte stream /bytes (and /fault/truncate) send: counter-mode splitmix64, word j of seed S
// being splitmix64's mix of S + (j + 1) * golden gamma, little-endian. Any range is computed
// directly. Without a seed, a fresh stream is generated for every response, so its speed is
// the endpoint's: the words are computed in vector lanes where the CPU has them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace loadlab::server {

// Appends `count` bytes of the stream `seed` names, from byte `offset` on.
void append_random_bytes(std::string& out, std::uint64_t seed, std::uint64_t offset,
                         std::size_t count);

// The kernels that write whole words (from `state`, the counter of the first word, on) that this
// CPU can run: the portable one first, the one append_random_bytes uses last. For tests, which
// compare each with the portable one (otherwise they would see only the CPU's fastest).
using RandomWordKernel = void (*)(char* to, std::size_t words, std::uint64_t state);
std::span<const RandomWordKernel> random_word_kernels();
// The counter word `word` of `seed`'s stream is mixed from.
std::uint64_t random_word_state(std::uint64_t seed, std::uint64_t word);

}  // namespace loadlab::server
