// Awaiting a condition in a test: poll it until it holds or a generous deadline passes. A
// test never sleeps for a condition, and never assumes the machine is fast (CI may run it on
// two cores kept busy by something else): the deadline is what a hung server would exceed,
// not what a loaded one might.
#pragma once

#include <chrono>
#include <functional>

namespace loadlab::test {

inline constexpr std::chrono::milliseconds kEventuallyDeadline = std::chrono::seconds(60);

// True as soon as `condition` holds; false if it still does not at the deadline.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = kEventuallyDeadline);

}  // namespace loadlab::test
