// Ctrl-C during a run: sending stops, requests in flight get their grace, the report is written.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/loadgen/run_loadgen.h"
#include "tests/support/eventually.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

TEST(Interrupt, CtrlCStopsSendingAndReportsWhatWasMeasured) {
  ServerProcess server;
  const auto started = std::chrono::steady_clock::now();
  const auto result = loadgen({"-d", "30s", "-c", "10", "--json", "-", "-q", base(server) + "/20"},
                              [&server](pid_t pid) {
                                eventually([&] { return delays_answered(server) >= 150; }, 20s);
                                kill(pid, SIGINT);
                              });
  EXPECT_LT(std::chrono::steady_clock::now() - started, 28s);  // before -d would have ended it
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_GT(report["requests"]["responses"].get<int>(), 100);
  // In-flight requests were given their grace period: nothing was cut off.
  EXPECT_EQ(report["requests"]["errors"], 0);
}

}  // namespace
}  // namespace loadlab::test
