// The live progress line: on a terminal only.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/loadgen/run_loadgen.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

TEST(Progress, NothingWhenNotOnATerminal) {
  ServerProcess server;
  const auto result = loadgen({"-d", "1500ms", "-c", "5", "-q", base(server) + "/5"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  const auto chatty = loadgen({"-d", "1500ms", "-c", "5", base(server) + "/5"});
  EXPECT_EQ(chatty.err.find("p99 so far"), std::string::npos) << chatty.err;
}

TEST(Progress, ALiveLineOnATerminal) {
  ServerProcess server;
  // script(1) runs the command on a pseudo-terminal, as a user's shell would.
  const std::string command =
      std::string(LOADLAB_LOADGEN_BIN) + " -d 2500ms -c 5 " + base(server) + "/5";
  const auto result = run_command({"script", "-qec", command, "/dev/null"}, 60s);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("\r"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("req/s"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("p99 so far"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Requests:"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace loadlab::test
