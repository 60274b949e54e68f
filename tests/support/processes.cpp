#include "tests/support/processes.h"

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace loadlab::test {
namespace {

// The fields after the name in /proc/PID/stat (the name may hold spaces and parentheses).
std::string stat_fields(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ? std::string()
                                                                : line.substr(close + 2);
}

}  // namespace

char state_of(int pid) {
  const std::string fields = stat_fields(pid);
  return fields.empty() ? 0 : fields[0];
}

std::set<int> children_of(int pid, bool with_zombies) {
  std::set<int> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = readdir(proc)) {
    const int child = std::atoi(entry->d_name);
    if (child <= 0) continue;
    char state = 0;
    int parent = 0;
    if (std::sscanf(stat_fields(child).c_str(), "%c %d", &state, &parent) != 2) continue;
    if (parent == pid && (with_zombies || state != 'Z')) children.insert(child);
  }
  closedir(proc);
  return children;
}

}  // namespace loadlab::test
