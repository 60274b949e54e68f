#include "loadgen/shard.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "common/decimal.h"

namespace loadlab::loadgen {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001B3ULL;
  return hash;
}

unsigned parse_part(std::string_view text, const std::string& whole, const char* what) {
  const auto value = parse_decimal_u64(text);
  if (!value || *value > kMaxShards) {
    throw std::invalid_argument("--shard '" + whole + "': " + what + " '" + std::string(text) +
                                "' is not a whole number up to " + std::to_string(kMaxShards));
  }
  return static_cast<unsigned>(*value);
}

}  // namespace

ShardSpec parse_shard(const std::string& text, const char* job_index) {
  const auto slash = text.find('/');
  if (slash == std::string::npos)
    throw std::invalid_argument("--shard '" + text + "': expected I/N (e.g. 0/4) or auto/N");
  ShardSpec shard;
  shard.count = parse_part(std::string_view(text).substr(slash + 1), text, "N");
  if (shard.count == 0) throw std::invalid_argument("--shard '" + text + "': N must be at least 1");
  const std::string_view index = std::string_view(text).substr(0, slash);
  if (index == "auto") {
    if (job_index == nullptr || *job_index == '\0') {
      throw std::invalid_argument(
          "--shard auto/" + std::to_string(shard.count) +
          ": JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it; elsewhere give "
          "--shard I/N)");
    }
    const auto value = parse_decimal_u64(job_index);
    if (!value || *value >= shard.count) {
      throw std::invalid_argument(
          "--shard auto/" + std::to_string(shard.count) + ": JOB_COMPLETION_INDEX='" + job_index +
          "' is not a shard index from 0 to " + std::to_string(shard.count - 1));
    }
    shard.index = static_cast<unsigned>(*value);
  } else {
    shard.index = parse_part(index, text, "I");
  }
  if (shard.index >= shard.count) {
    throw std::invalid_argument("--shard '" + text + "': I counts from 0, so it must be below N (" +
                                std::to_string(shard.count) + ")");
  }
  return shard;
}

std::uint64_t shard_seed(std::uint64_t seed, unsigned index) {
  return index == 0 ? seed : splitmix64(seed ^ splitmix64(index)) | 1;
}

std::string default_run_id(double start_unix, const std::string& config_text) {
  const auto whole = static_cast<std::time_t>(std::floor(start_unix));
  const int millis = std::min(
      999, static_cast<int>(std::llround((start_unix - static_cast<double>(whole)) * 1000)));
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char id[64];
  std::snprintf(id, sizeof id, "%04d%02d%02dT%02d%02d%02d.%03dZ-%08llx", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis,
                static_cast<unsigned long long>(fnv1a(config_text) & 0xFFFFFFFFULL));
  return id;
}

std::uint64_t seed_from_run_id(const std::string& run_id) { return splitmix64(fnv1a(run_id)) | 1; }

}  // namespace loadlab::loadgen
