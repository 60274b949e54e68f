// A distributed run on one machine: four loadgen processes, each one shard of the run, started
// together with --start-at against the real server, then merged. What is asserted is what the
// loadgen computes and reports (counts, request numbers, the schedule, the agreed start), not
// how fast this machine is: the test holds on a busy machine.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "tests/loadgen/run_loadgen.h"
#include "tests/support/server_process.h"

extern char** environ;

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

constexpr unsigned kShards = 4;
constexpr int kRequests = 1000;
constexpr double kRate = 200;  // 5 s of schedule: modest, so even a busy machine keeps it

// RFC 3339, UTC, to the millisecond: `seconds` from now.
std::string rfc3339_in(double seconds) {
  const double at =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() +
      seconds;
  const auto whole = static_cast<std::time_t>(at);
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>((at - static_cast<double>(whole)) * 1000));
  return text;
}

// Starts every command at once (each one a process, its stdout and stderr to files) and waits
// for all of them; returns their exit codes.
std::vector<int> run_together(const std::vector<std::vector<std::string>>& commands,
                              const std::vector<std::string>& logs) {
  std::vector<pid_t> pids;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    std::vector<char*> argv;
    for (const auto& arg : commands[i]) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, logs[i].c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&files);
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (const pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

struct ShardedRun {
  std::vector<std::string> reports;
  std::vector<nlohmann::json> documents;
};

// The run: 1000 requests at 200/s over two URLs weighted 3:1, each with {seq} in its path.
ShardedRun run_shards(const ServerProcess& server, const std::string& start_at) {
  const std::string urls = temp_file("shard-urls");
  {
    std::ofstream out(urls);
    out << "3 " << base(server) << "/anything/a/{seq}\n1 " << base(server) << "/anything/b/{seq}\n";
  }
  ShardedRun run;
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> logs;
  for (unsigned i = 0; i < kShards; ++i) {
    run.reports.push_back(temp_file(("shard-" + std::to_string(i) + ".json").c_str()));
    logs.push_back(temp_file(("shard-" + std::to_string(i) + ".log").c_str()));
    commands.push_back({LOADLAB_LOADGEN_BIN, "--shard", std::to_string(i) + "/4", "--start-at",
                        start_at, "--rate", std::to_string(static_cast<int>(kRate)), "-n",
                        std::to_string(kRequests), "-c", "40", "--seed", "7", "--urls-file", urls,
                        "--json", run.reports.back(), "-q"});
  }
  const auto codes = run_together(commands, logs);
  for (unsigned i = 0; i < kShards; ++i) {
    EXPECT_EQ(codes[i], 0) << "shard " << i << ": " << slurp(logs[i]);
    run.documents.push_back(nlohmann::json::parse(slurp(run.reports[i])));
  }
  return run;
}

// The request numbers the server saw, by URL family (its access log).
std::map<std::string, std::multiset<int>> seqs_seen(const ServerProcess& server) {
  std::map<std::string, std::multiset<int>> seen;
  const std::string log = server.stderr_text();
  const std::regex line("GET /anything/([ab])/([0-9]+) 200");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it)
    seen[(*it)[1]].insert(std::stoi((*it)[2]));
  return seen;
}

TEST(ShardedRun, FourProcessesMakeOneExactRun) {
  ServerProcess server({"--access-log"});
  const std::string start_at = rfc3339_in(2.0);
  const ShardedRun run = run_shards(server, start_at);
  ASSERT_EQ(run.documents.size(), kShards);

  // Every shard: its exact share, the agreed start as its schedule's origin, its lateness.
  double first_start = run.documents[0]["start_unix"];
  for (unsigned i = 0; i < kShards; ++i) {
    const auto& shard = run.documents[i];
    EXPECT_EQ(shard["requests"]["total"], kRequests / kShards) << i;
    EXPECT_EQ(shard["shard"]["index"], i);
    EXPECT_EQ(shard["shard"]["count"], kShards);
    EXPECT_EQ(shard["shard"]["run_id"], run.documents[0]["shard"]["run_id"]);
    EXPECT_NEAR(shard["start_unix"].get<double>(), first_start, 0.005) << i;
    EXPECT_TRUE(shard["shard"]["start_late_us"].is_number_unsigned()) << i;
    EXPECT_DOUBLE_EQ(shard["rate"]["requested_rps"].get<double>(), kRate / kShards);
  }

  const auto merged = loadgen({"merge", run.reports[0], run.reports[1], run.reports[2],
                               run.reports[3], "--json", "-", "-q"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const auto report = nlohmann::json::parse(merged.out);
  EXPECT_EQ(report["requests"]["total"], kRequests);
  EXPECT_EQ(report["requests"]["responses"], kRequests);
  EXPECT_TRUE(report["shard"]["complete"]);
  EXPECT_EQ(report["shard"]["shards"], nlohmann::json({0, 1, 2, 3}));
  EXPECT_TRUE(report["notes"].empty()) << report["notes"];

  // The merged rate: the schedule's, exactly the asked one (the shards interleave, slot k of
  // the run at k / 200 s); what was achieved is reported beside it and cannot exceed it.
  EXPECT_NEAR(report["rate"]["requested_rps"].get<double>(), kRate, 1e-9);
  EXPECT_NEAR(report["rate"]["scheduled_rps"].get<double>(), kRate, kRate * 0.01);
  EXPECT_LE(report["rate"]["achieved_rps"].get<double>(), kRate * 1.01);
  // Each whole second of the merged time series holds exactly 200 scheduled sends: four
  // interleaved schedules, not four bursts.
  const auto& intervals = report["intervals"];
  ASSERT_GE(intervals.size(), 5u);
  std::uint64_t scheduled = 0;
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    if (i < 5) {
      EXPECT_EQ(intervals[i]["scheduled"], 200) << i;
    }
    scheduled += intervals[i]["scheduled"].get<std::uint64_t>();
  }
  EXPECT_EQ(scheduled, static_cast<std::uint64_t>(kRequests));

  // {seq}: every number of the run once, and each on the URL the mix gives it (a a b a).
  const auto seen = seqs_seen(server);
  std::set<int> all;
  std::size_t count = 0;
  for (const auto& [family, seqs] : seen) {
    count += seqs.size();
    for (const int seq : seqs) {
      all.insert(seq);
      EXPECT_EQ(family, seq % 4 == 2 ? "b" : "a") << seq;
    }
  }
  EXPECT_EQ(count, static_cast<std::size_t>(kRequests));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kRequests));
  EXPECT_EQ(*all.begin(), 0);
  EXPECT_EQ(*all.rbegin(), kRequests - 1);
  // The mix as asked: 3 of every 4 requests on a.
  const auto at = seen.find("a");
  ASSERT_NE(at, seen.end());
  EXPECT_EQ(at->second.size(), 750u);
  for (const auto& row : report["by_url"]) {
    EXPECT_EQ(row["requests"]["total"],
              row["url"].get<std::string>().find("/a/") != std::string::npos ? 750 : 250);
  }

  // The same run with one shard missing: named, partial in every output, exit 4.
  const std::string text_path = temp_file("partial.txt");
  const auto partial =
      loadgen({"merge", run.reports[0], run.reports[1], run.reports[2], "--json", "-"});
  EXPECT_EQ(partial.exit_code, 4) << partial.err;
  const auto partial_report = nlohmann::json::parse(partial.out);
  EXPECT_FALSE(partial_report["shard"]["complete"]);
  EXPECT_EQ(partial_report["shard"]["missing"], nlohmann::json({3}));
  EXPECT_EQ(partial_report["requests"]["total"], 750);
  ASSERT_FALSE(partial_report["notes"].empty());
  EXPECT_NE(partial_report["notes"][0].get<std::string>().find("PARTIAL"), std::string::npos);
  EXPECT_NE(partial.err.find("Note: PARTIAL run"), std::string::npos) << partial.err;
  EXPECT_NE(partial.err.find("1 of 4 shards missing (3)"), std::string::npos) << partial.err;
  const auto allowed = loadgen({"merge", run.reports[0], run.reports[1], run.reports[2],
                                "--allow-partial", "-q", "--json", "-"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_NE(allowed.out.find("PARTIAL"), std::string::npos);
  for (const auto& path : run.reports) std::remove(path.c_str());
}

}  // namespace
}  // namespace loadlab::test
