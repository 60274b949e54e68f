// What tests read of processes from /proc: a server's children (its /prime workers) and their
// run state.
#pragma once

#include <set>

namespace loadlab::test {

// The run state of a process ('R' running, 'S' sleeping, 'T' stopped, 'Z' zombie), or 0.
char state_of(int pid);

// Children of `pid`; zombies (exited, not yet reaped) only when asked for.
std::set<int> children_of(int pid, bool with_zombies = true);

}  // namespace loadlab::test
