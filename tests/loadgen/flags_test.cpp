// Every numeric and duration flag of every subcommand, given a bad value, is a usage error
// (exit 2) whose message names the flag, never an abort or a run with a wrapped-around value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

struct BadFlag {
  std::vector<std::string> args;  // before the URL (run) or as given (subcommands)
  std::string named;              // what stderr must mention
};

// Port 1: nothing listens there, so a value wrongly accepted shows up as a run (exit 1).
const char* kUrl = "http://127.0.0.1:1/";

std::vector<BadFlag> bad_flags() {
  std::vector<BadFlag> table;
  // The message names the flag by its long name (-n is --requests).
  auto run = [&table](const std::string& flag, const std::vector<std::string>& values) {
    const auto comma = flag.find(',');
    for (const auto& value : values)
      table.push_back({{flag.substr(0, comma), value, kUrl}, flag.substr(comma + 1)});
  };
  const std::vector<std::string> bad_counts = {"-1",  "0", "abc", "1.5", "", "99999999999999999999",
                                               "1e3", " 5"};
  const std::vector<std::string> bad_durations = {
      "-5s", "0s", "0", "1x", "1us", "99999999999999999999s", "s", "1.5s", ""};
  run("-n,--requests", bad_counts);
  run("-n,--requests", {"1000000000001"});
  run("-c,--concurrency", bad_counts);
  run("-c,--concurrency", {"1000001"});
  run("-t,--threads", bad_counts);
  run("-t,--threads", {"257"});
  run("--rate", {"-1", "0", "nan", "inf", "1e12", "abc", "", "10000001", "1e-300", "0.0009"});
  // Combinations whose schedule or time series would not fit.
  table.push_back({{"-n", "100000000", "--rate", "0.001", kUrl}, "--rate"});
  table.push_back({{"-d", "720h", "--interval", "10ms", kUrl}, "--interval"});
  table.push_back({{"-d", "720h", "--interval", "10ms", kUrl}, "-d 720h"});
  table.push_back({{"-n", "1000000", "--rate", "1", "--interval", "100ms", kUrl}, "--interval"});
  // A start more than a day ahead (a typo, a wrong year) or minutes behind (a burst of backlog).
  table.push_back({{"--start-at", "+25h", kUrl}, "at most 24 h ahead"});
  table.push_back({{"--start-at", "2020-01-01T00:00:00Z", kUrl}, "at most 10 minutes in the past"});
  // A URL goes into the request line as it is: spaces and control characters are refused.
  table.push_back({{"http://127.0.0.1:1/a b"}, "'http://127.0.0.1:1/a b'"});
  table.push_back({{"http://127.0.0.1:1/a\tb"}, "'http://127.0.0.1:1/a\\x09b'"});
  run("-d,--duration", bad_durations);
  run("-d,--duration", {"721h"});
  run("--timeout", bad_durations);
  run("--timeout", {"25h"});
  run("--connect-timeout", bad_durations);
  run("--interval", bad_durations);
  run("--interval", {"1ms", "9ms", "2h"});
  run("--grace", {"-1s", "1x", "11m", "", "99999999999999999999s"});
  run("--seed", {"-1", "abc", "99999999999999999999", "1.5"});
  run("--tls-min", {"1.1", "1.0", "abc", "", "1.30", "2", "tls1.3"});
  run("--busy-poll-us", {"-1", "abc", "1.5", "1001", ""});
  // TLS files are checked before any traffic; a key needs its certificate.
  const std::string https = "https://127.0.0.1:1/";
  table.push_back({{"--key", "/nonexistent/client.key", kUrl}, "--cert"});
  table.push_back({{"--cacert", "/nonexistent/ca.pem", https}, "/nonexistent/ca.pem"});
  table.push_back({{"--cert", "/nonexistent/client.pem", https}, "/nonexistent/client.pem"});
  table.push_back({{"http://127.0.0.1:1/a", https}, "same scheme"});
  auto talk = [&table](const std::string& flag, const std::vector<std::string>& values) {
    const auto comma = flag.find(',');
    for (const auto& value : values)
      table.push_back({{"talk", flag.substr(0, comma), value, kUrl}, flag.substr(comma + 1)});
  };
  talk("-n,--requests", bad_counts);
  talk("-c,--concurrency", bad_counts);
  talk("-c,--concurrency", {"100001"});
  talk("--max-delay-ms", bad_counts);
  talk("--max-delay-ms", {"60001"});
  talk("--unbounded", {"-1", "0", "abc", "5,-1", "5,0", "100001"});
  // The last act's second server, checked before the first act (not after all of them).
  for (const char* bad : {"ftp://127.0.0.1:1", "http://", "http://127.0.0.1:99999"})
    table.push_back({{"talk", "--one-worker", bad, kUrl}, "--one-worker"});
  return table;
}

TEST(Flags, EveryBadValueIsAUsageErrorNamingTheFlag) {
  for (const auto& bad : bad_flags()) {
    std::vector<std::string> argv = {LOADLAB_LOADGEN_BIN};
    argv.insert(argv.end(), bad.args.begin(), bad.args.end());
    std::string shown;
    for (const auto& arg : bad.args) shown += " '" + arg + "'";
    const CommandResult result = run_command(argv, 30s);
    EXPECT_EQ(result.exit_code, 2) << shown << "\n" << result.err;
    EXPECT_NE(result.err.find(bad.named), std::string::npos) << shown << "\n" << result.err;
  }
}

TEST(Flags, TheMessageStatesTheBounds) {
  const CommandResult rate = run_command({LOADLAB_LOADGEN_BIN, "--rate", "-5", kUrl}, 30s);
  EXPECT_NE(rate.err.find("at most 10000000"), std::string::npos) << rate.err;
  EXPECT_LT(rate.err.size(), 400u) << rate.err;  // no DBL_MAX spelled out in full
  const CommandResult timeout = run_command({LOADLAB_LOADGEN_BIN, "--timeout", "0s", kUrl}, 30s);
  EXPECT_NE(timeout.err.find("from 1ms to 24h"), std::string::npos) << timeout.err;
  const CommandResult count = run_command({LOADLAB_LOADGEN_BIN, "-n", "-1", kUrl}, 30s);
  EXPECT_NE(count.err.find("from 1 to"), std::string::npos) << count.err;
}

TEST(Flags, BadValuesFromTheEnvironmentToo) {
  const CommandResult result =
      run_command({"env", "LOADLAB_TIMEOUT=-1s", LOADLAB_LOADGEN_BIN, kUrl}, 30s);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("--timeout"), std::string::npos) << result.err;
}

TEST(Flags, GoodValuesAtTheBoundsAreAccepted) {
  // Each parses, then the run finds nothing listening on port 1: exit 1, not 2.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-n", "1", "-c", "1", "-t", "1"},
           {"-n", "2", "--timeout", "1ms", "--connect-timeout", "1ms", "--interval", "10ms",
            "--grace", "0s"},
           {"-d", "1ms", "--rate", "10000000", "--seed", "18446744073709551615"},
           // The lowest rate: one request, then the schedule is over (not one slot, 1000 s, later).
           {"-n", "1", "--rate", "0.001"},
           {"-n", "1", "--tls-min", "1.3", "-k", "--no-tls-resume"},
           {"-n", "1", "--busy-poll-us", "0"},
           {"-n", "1", "--busy-poll-us", "1000"},
           {"-n", "1", "--tls-min", "1.2", "--insecure"}}) {
    std::vector<std::string> argv = {LOADLAB_LOADGEN_BIN, "-q"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(args.back() == "--insecure" ? "https://127.0.0.1:1/" : kUrl);
    const CommandResult result = run_command(argv, 30s);
    EXPECT_EQ(result.exit_code, 1) << args.front() << "\n" << result.err;
  }
}

// The open-file check counts what this process opens: its share of -c under --shard, and the
// observer's descriptors (scrape, --metrics-listen) when it runs one. prlimit sets both
// limits, so the loadgen cannot raise its own: 256 leaves 216 sockets for one thread, 144
// with the observer. Each run that passes the check finds nothing on port 1: exit 1, not 2.
TEST(Flags, TheOpenFileCheckCountsTheShareAndTheObserver) {
  auto run = [](std::vector<std::string> args) {
    std::vector<std::string> argv = {
        "prlimit", "--nofile=256:256", LOADLAB_LOADGEN_BIN, "-q", "-t", "1", "-n", "2", "--rate",
        "10"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(kUrl);
    return run_command(argv, 30s);
  };
  const CommandResult alone = run({"-c", "200", "--no-scrape"});
  EXPECT_EQ(alone.exit_code, 1) << alone.err;
  const CommandResult observed = run({"-c", "200"});
  EXPECT_EQ(observed.exit_code, 2) << observed.err;
  EXPECT_NE(observed.err.find("open-file limit is 256"), std::string::npos) << observed.err;
  const CommandResult shard = run({"-c", "400", "--shard", "0/2", "--no-scrape"});
  EXPECT_EQ(shard.exit_code, 1) << shard.err;
  const CommandResult whole = run({"-c", "400", "--no-scrape"});
  EXPECT_EQ(whole.exit_code, 2) << whole.err;
}

// A --no-X flag's variable turns X off as the flag does (CLI11 stored the variable's value
// as written: LOADLAB_NO_SCRAPE=1 turned scraping on, =0 off); 0, false, no, off leave it on.
TEST(Flags, NoFlagsFromTheEnvironment) {
  auto report = [](const std::string& variable) {
    const CommandResult result = run_command(
        {"env", variable, LOADLAB_LOADGEN_BIN, "-q", "-n", "1", "--json", "-", kUrl}, 30s);
    EXPECT_EQ(result.exit_code, 1) << variable << "\n" << result.err;
    return nlohmann::json::parse(result.out);
  };
  for (const char* on : {"1", "true", "yes"}) {
    const std::string value = std::string("=") + on;
    EXPECT_TRUE(report("LOADLAB_NO_SCRAPE" + value)["target"].is_null()) << on;
    EXPECT_EQ(report("LOADLAB_NO_KEEPALIVE" + value)["config"]["keepalive"], false) << on;
    EXPECT_EQ(report("LOADLAB_NO_TLS_RESUME" + value)["config"]["tls_resume"], false) << on;
  }
  for (const char* off : {"0", "false"}) {
    const std::string value = std::string("=") + off;
    EXPECT_FALSE(report("LOADLAB_NO_SCRAPE" + value)["target"].is_null()) << off;
    EXPECT_EQ(report("LOADLAB_NO_KEEPALIVE" + value)["config"]["keepalive"], true) << off;
    EXPECT_EQ(report("LOADLAB_NO_TLS_RESUME" + value)["config"]["tls_resume"], true) << off;
  }
  // A value that is no boolean is a usage error, not an abort.
  const CommandResult bad = run_command(
      {"env", "LOADLAB_NO_KEEPALIVE=maybe", LOADLAB_LOADGEN_BIN, "-q", "-n", "1", kUrl}, 30s);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("LOADLAB_"), std::string::npos) << bad.err;
  // The flags themselves, as before.
  const CommandResult flags =
      run_command({LOADLAB_LOADGEN_BIN, "-q", "-n", "1", "--json", "-", "--no-scrape",
                   "--no-keepalive", "--no-tls-resume", kUrl},
                  30s);
  const auto config = nlohmann::json::parse(flags.out);
  EXPECT_TRUE(config["target"].is_null());
  EXPECT_EQ(config["config"]["keepalive"], false);
  EXPECT_EQ(config["config"]["tls_resume"], false);
}

}  // namespace
}  // namespace loadlab::test
