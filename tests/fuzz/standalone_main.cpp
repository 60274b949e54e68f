// Runs a fuzz target without libFuzzer (gcc builds, CI): its seed corpus (tests/fuzz/corpus/
// <target>/) plus seeded random mutations of it, so every target is compiled and exercised on
// every test run.   usage: <target> ITERATIONS CORPUS_DIR
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::string> read_corpus(const char* directory) {
  std::vector<std::string> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return seeds;
}

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ITERATIONS CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const long iterations = std::atol(argv[1]);
  std::vector<std::string> seeds = read_corpus(argv[2]);
  if (seeds.empty()) {
    std::fprintf(stderr, "no seeds in %s\n", argv[2]);
    return 2;
  }
  std::mt19937_64 random(42);
  for (const auto& seed : seeds) run(seed);
  for (long i = 0; i < iterations; ++i) {
    std::string input = seeds[random() % seeds.size()];
    const int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      const auto byte = static_cast<char>(
          random() % 4 == 0 ? "/?=&0123456789-+.:;,{}\"\r\n "[random() % 27] : random());
      switch (random() % 4) {
        case 0:
          input.insert(input.begin() + static_cast<long>(random() % (input.size() + 1)), byte);
          break;
        case 1:
          if (!input.empty()) input.erase(random() % input.size(), 1);
          break;
        case 2: {  // splice a piece of another seed: structure the byte edits would not find
          const std::string& other = seeds[random() % seeds.size()];
          if (other.empty()) break;
          const std::size_t from = random() % other.size();
          input.insert(random() % (input.size() + 1), other.substr(from, 1 + random() % 16));
          break;
        }
        default:
          if (!input.empty()) input[random() % input.size()] = byte;
          break;
      }
    }
    run(input);
  }
  std::printf("%zu seeds and %ld mutations, no failure\n", seeds.size(), iterations);
  return 0;
}
