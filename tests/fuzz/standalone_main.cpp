// Runs a fuzz target without libFuzzer (gcc builds, CI): a fixed seed corpus plus seeded
// random mutations of it, so the target is compiled and exercised on every test run.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
  const std::vector<std::string> seeds = {
      "\x03GET/100", "\x03GET/100/?x=1", "\x04HEAD/prime/7919?method=mr", "\x04POST/healthz",
      "\x03GEThttp://h:1/5", "\x03GET/prime/18446744073709551616", "\x03GET/-1", "\x00/metrics"};
  std::mt19937_64 random(42);
  for (const auto& seed : seeds) LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
  for (long i = 0; i < iterations; ++i) {
    std::string input = seeds[random() % seeds.size()];
    const int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      const auto byte = static_cast<char>(random() % 4 == 0 ? "/?=&0123456789-+."[random() % 17] : random());
      switch (random() % 3) {
        case 0: input.insert(input.begin() + static_cast<long>(random() % (input.size() + 1)), byte); break;
        case 1: if (!input.empty()) input.erase(random() % input.size(), 1); break;
        default: if (!input.empty()) input[random() % input.size()] = byte; break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  }
  std::printf("%ld inputs, no failure\n", iterations + static_cast<long>(seeds.size()));
  return 0;
}
