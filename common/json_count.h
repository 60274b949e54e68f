// Counts and sizes read from JSON written elsewhere (the reports `loadgen merge` reads, from
// other processes or machines): a non-negative integer that fits in 64 bits, or
// std::invalid_argument. nlohmann's get<std::uint64_t>() would convert a float or a negative
// number instead, and converting a float out of range (1e82) is undefined behaviour.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace loadlab {

inline std::uint64_t json_count(const nlohmann::json& value, const std::string& what) {
  // A json built from a signed type (not parsed) holds a non-negative integer as signed.
  if (value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
    return value.get<std::uint64_t>();
  }
  throw std::invalid_argument(what + " is not a non-negative integer: " + value.dump());
}

// `object[key]` as json_count() reads it, or `fallback` if it has no such member.
inline std::uint64_t json_count_or(const nlohmann::json& object, const std::string& key,
                                   std::uint64_t fallback) {
  const auto found = object.find(key);
  return found == object.end() ? fallback : json_count(*found, key);
}

// `object[key]`, which must be there, as json_count() reads it.
inline std::uint64_t json_count_at(const nlohmann::json& object, const std::string& key) {
  return json_count(object.at(key), key);
}

}  // namespace loadlab
