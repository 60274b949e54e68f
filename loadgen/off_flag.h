// A --no-X flag that turns a setting off, from the command line or its environment variable.
// CLI11's "--no-X{false}" form bound to the setting inverts only the command line's flag: an
// environment value is stored as written (LOADLAB_NO_X=1 set the setting to true, i.e. on).
// Here the flag's count decides, both ways alike: given (or 1, true, yes, on) turns it off;
// 0, false, no or off leave it on.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace loadlab::loadgen {

inline CLI::Option* add_off_flag(CLI::App& app, const std::string& name, bool& setting,
                                 const std::string& description, const std::string& envname) {
  return app
      .add_flag_function(
          name, [&setting](std::int64_t count) { setting = count <= 0; }, description)
      ->envname(envname);
}

}  // namespace loadlab::loadgen
