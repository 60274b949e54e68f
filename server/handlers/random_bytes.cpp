#include "server/handlers/random_bytes.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace loadlab::server {
namespace {

constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15;

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

std::uint64_t little_endian(std::uint64_t value) {
  if constexpr (std::endian::native == std::endian::big) return __builtin_bswap64(value);
  return value;
}

// The hot loop: nothing in it but the mix and one 8-byte store, so that the compiler puts
// words in vector lanes (this file is built with -ftree-vectorize: -O2 alone leaves it scalar).
[[gnu::always_inline]] inline void fill_words(char* to, std::size_t words, std::uint64_t state) {
  for (const char* const end = to + words * 8; to != end; to += 8, state += kGamma) {
    const std::uint64_t value = little_endian(mix(state));
    std::memcpy(to, &value, 8);
  }
}

void fill_words_portable(char* to, std::size_t words, std::uint64_t state) {
  fill_words(to, words, state);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
// 1 MiB (bench/client_target.sh's body) on this project's 2-core bench machine: 155 µs portable,
// 62 µs with AVX2 (64-bit multiplies emulated), 27 µs with AVX-512's vpmullq. On 256-bit
// registers: as fast here as 512-bit ones, and on Intel cores that lower their clock for heavy
// 512-bit work, that would slow everything else the loop does too.
[[gnu::target("arch=x86-64-v3")]] void fill_words_avx2(char* to, std::size_t words,
                                                       std::uint64_t state) {
  fill_words(to, words, state);
}
[[gnu::target("arch=x86-64-v4,prefer-vector-width=256")]] void fill_words_avx512(
    char* to, std::size_t words, std::uint64_t state) {
  fill_words(to, words, state);
}

struct Kernels {
  std::array<RandomWordKernel, 3> all{};
  std::size_t count = 0;
};

Kernels supported_kernels() {
  Kernels kernels;
  kernels.all[kernels.count++] = fill_words_portable;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v3")) kernels.all[kernels.count++] = fill_words_avx2;
  if (__builtin_cpu_supports("x86-64-v4")) kernels.all[kernels.count++] = fill_words_avx512;
  return kernels;
}
#else
struct Kernels {
  std::array<RandomWordKernel, 1> all{fill_words_portable};
  std::size_t count = 1;
};
Kernels supported_kernels() { return {}; }
#endif

const Kernels& kernels() {
  static const Kernels supported = supported_kernels();  // the CPU does not change
  return supported;
}

}  // namespace

std::span<const RandomWordKernel> random_word_kernels() {
  return {kernels().all.data(), kernels().count};
}

std::uint64_t random_word_state(std::uint64_t seed, std::uint64_t word) {
  return seed + (word + 1) * kGamma;
}

void append_random_bytes(std::string& out, std::uint64_t seed, std::uint64_t offset,
                         std::size_t count) {
  const std::size_t at = out.size();
  out.resize(at + count);
  char* to = out.data() + at;
  std::uint64_t word = offset / 8;
  const std::size_t skip = offset % 8;
  if (skip != 0 && count > 0) {  // the tail of a word the last piece began
    const std::uint64_t value = little_endian(mix(random_word_state(seed, word)));
    const std::size_t take = std::min<std::size_t>(8 - skip, count);
    std::memcpy(to, reinterpret_cast<const char*>(&value) + skip, take);
    to += take;
    count -= take;
    ++word;
  }
  kernels().all[kernels().count - 1](to, count / 8, random_word_state(seed, word));
  if (count % 8 != 0) {
    const std::uint64_t value = little_endian(mix(random_word_state(seed, word + count / 8)));
    std::memcpy(to + count / 8 * 8, &value, count % 8);
  }
}

}  // namespace loadlab::server
