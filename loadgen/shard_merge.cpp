#include "loadgen/shard_merge.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "loadgen/shard.h"

namespace loadlab::loadgen {
namespace {

std::string list(const std::vector<unsigned>& indices) {
  std::string text;
  for (const auto index : indices) text += (text.empty() ? "" : ", ") + std::to_string(index);
  return text;
}

// Options the shards of one run may differ in: `start_at` (each process resolves a relative
// `+2s` from its own start; the run id, given or derived, already says they are one run) and
// `threads` and `busy_poll_us` (each machine's cores and how its engines wait: how a shard sends
// its share, not what the run asks for).
bool may_differ(const std::string& key) {
  return key == "start_at" || key == "threads" || key == "busy_poll_us";
}

// The options two reports disagree on, by name.
std::string differences(const nlohmann::json& a, const nlohmann::json& b) {
  std::string names;
  const auto note = [&names](const std::string& key) {
    names += (names.empty() ? "" : ", ") + key;
  };
  for (const auto& [key, value] : a.items()) {
    if (may_differ(key)) continue;
    if (!b.contains(key) || b.at(key) != value) note(key);
  }
  for (const auto& [key, value] : b.items()) {
    if (!may_differ(key) && !a.contains(key)) note(key);
  }
  return names;
}

}  // namespace

std::string ShardCheck::partial_line() const {
  if (!sharded || complete()) return "";
  return "PARTIAL run " + run_id + ": " + std::to_string(missing.size()) + " of " +
         std::to_string(count) + " shards missing (" + list(missing) +
         "); the totals cover only shards " + list(present);
}

ShardCheck check_shards(const std::vector<ShardedReport>& reports) {
  ShardCheck check;
  for (const auto& report : reports) check.sharded |= report.count > 1;
  if (!check.sharded || reports.empty()) return check;
  const ShardedReport& first = reports.front();
  std::map<unsigned, const ShardedReport*> holder;
  for (const auto& report : reports) {
    if (report.count > kMaxShards) {
      throw std::invalid_argument("'" + report.path + "' is of a run of " +
                                  std::to_string(report.count) + " shards; at most " +
                                  std::to_string(kMaxShards));
    }
    if (report.run_id != first.run_id || report.count != first.count) {
      throw std::invalid_argument(
          "the reports are not of one run: '" + first.path + "' is run " + first.run_id +
          (first.count > 1 ? " (" + std::to_string(first.count) + " shards)" : " (not sharded)") +
          ", '" + report.path + "' is run " + report.run_id +
          (report.count > 1 ? " (" + std::to_string(report.count) + " shards)" : " (not sharded)") +
          "; give every shard the same --run-id or --start-at");
    }
    if (const auto names = differences(first.config, report.config); !names.empty()) {
      throw std::invalid_argument("the reports of run " + first.run_id +
                                  " differ in their options: '" + first.path + "' and '" +
                                  report.path + "' disagree on " + names);
    }
    for (const auto index : report.shards) {
      if (index >= report.count) {
        throw std::invalid_argument("'" + report.path + "' holds shard " + std::to_string(index) +
                                    " of a run of " + std::to_string(report.count));
      }
      const auto [at, fresh] = holder.emplace(index, &report);
      if (!fresh) {
        throw std::invalid_argument("shard " + std::to_string(index) + " of run " + first.run_id +
                                    " is in both '" + at->second->path + "' and '" + report.path +
                                    "': merging both would count its requests twice");
      }
    }
  }
  check.run_id = first.run_id;
  check.count = first.count;
  for (unsigned i = 0; i < check.count; ++i)
    (holder.contains(i) ? check.present : check.missing).push_back(i);
  return check;
}

}  // namespace loadlab::loadgen
