// The 128-bit unsigned integer GCC and Clang provide, for exact 64 × 64-bit products
// (bounded random numbers, modular multiplication, proportions of a duration).
#pragma once

namespace loadlab {

__extension__ using uint128 = unsigned __int128;  // __extension__: -Wpedantic knows it

}  // namespace loadlab
