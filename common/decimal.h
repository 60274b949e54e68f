// Strict decimal parsing shared by the server's routes and the loadgen's templates.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace loadlab {

// Plain ASCII digits only: no sign, no spaces, no "0x", no empty string, no overflow.
// Leading zeros are accepted ("007" is 7), as any decimal reader would.
std::optional<std::uint64_t> parse_decimal_u64(std::string_view text);

}  // namespace loadlab
