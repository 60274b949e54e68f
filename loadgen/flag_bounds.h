// Checks for numeric and duration flags, run on the text before CLI11 converts it: CLI11 2.1
// turns "-1" into 2^64-1 for an unsigned option, and a throwing conversion inside parse()
// would abort. A bad value is a usage error (exit 2) whose message names the flag's bounds.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace loadlab::loadgen {

// A plain decimal whole number in [low, high].
CLI::Validator whole_number_in(std::uint64_t low, std::uint64_t high);
// A duration ("250ms", "10s", "2m", "1h", plain seconds) in [low_ms, high_ms].
CLI::Validator duration_in(std::uint64_t low_ms, std::uint64_t high_ms);
// A finite number in [low, high].
CLI::Validator number_in(double low, double high);

// "250ms", "10s", "2m", "1h" for a bound, as short as it reads.
std::string describe_ms(std::uint64_t ms);

}  // namespace loadlab::loadgen
