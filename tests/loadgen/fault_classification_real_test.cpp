// The same checks as fault_classification_test.cpp, driving the loadgen against the real
// loadlab-server's /fault endpoints: each fault must land in its own error kind and nowhere
// else (requests, other kinds, statuses, resends), and the server's loadlab_faults_total must
// count what the loadgen saw.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/loadgen/run_loadgen.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

constexpr int kRequests = 6;

nlohmann::json run(const ServerProcess& server, const std::string& path,
                   const char* timeout = "20s") {
  const auto result = loadgen({"-n", std::to_string(kRequests), "-c", "2", "--timeout", timeout,
                               "--json", "-", "-q", base(server) + path});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

// Every request failed with `kind`, and nothing else was counted.
void expect_only(const nlohmann::json& report, const std::string& kind) {
  EXPECT_EQ(report["requests"]["total"], kRequests);
  EXPECT_EQ(report["requests"]["responses"], 0);
  EXPECT_EQ(report["requests"]["errors"], kRequests);
  EXPECT_EQ(report["requests"]["cancelled"], 0);
  for (const char* name : kErrorKinds)
    EXPECT_EQ(report["errors"].value(name, -1), name == kind ? kRequests : 0) << name;
  EXPECT_EQ(report["status_codes"], nlohmann::json::object());
  EXPECT_EQ(report["latency_us"]["count"], 0);
  EXPECT_EQ(report["retried_stale"], 0);
  EXPECT_EQ(report["connections_opened"], kRequests);  // a failed connection is never reused
}

double faults(const ServerProcess& server, const char* kind) {
  return metric(server.port(), std::string("loadlab_faults_total{kind=\"") + kind + "\"}");
}

TEST(FaultClassificationReal, ResetIsAReset) {
  ServerProcess server;
  const auto report = run(server, "/fault/reset");
  expect_only(report, "reset");
  EXPECT_EQ(report["bytes_read"], 0);
  EXPECT_EQ(faults(server, "reset"), kRequests);
}

TEST(FaultClassificationReal, ResetAfterADelayIsAReset) {
  ServerProcess server;
  expect_only(run(server, "/fault/reset?after=50"), "reset");
}

TEST(FaultClassificationReal, CloseIsClosed) {
  ServerProcess server;
  const auto report = run(server, "/fault/close");
  expect_only(report, "closed");
  EXPECT_EQ(report["bytes_read"], 0);
  EXPECT_EQ(faults(server, "close"), kRequests);
}

TEST(FaultClassificationReal, TruncateIsTruncated) {
  ServerProcess server;
  const auto report = run(server, "/fault/truncate?bytes=1000");
  expect_only(report, "truncated");
  // Headers, then half of the promised 1000 bytes, on each connection.
  EXPECT_GT(report["bytes_read"].get<int>(), kRequests * 500);
  EXPECT_LT(report["bytes_read"].get<int>(), kRequests * 1000);
  EXPECT_EQ(faults(server, "truncate"), kRequests);
}

TEST(FaultClassificationReal, GarbageIsParse) {
  ServerProcess server;
  const auto report = run(server, "/fault/garbage");
  expect_only(report, "parse");
  EXPECT_GT(report["bytes_read"].get<int>(), 0);
  EXPECT_EQ(faults(server, "garbage"), kRequests);
}

TEST(FaultClassificationReal, HangIsATimeout) {
  ServerProcess server;
  const auto report = run(server, "/fault/hang", "200ms");
  expect_only(report, "timeout");
  EXPECT_EQ(report["bytes_read"], 0);
}

// Slow headers are slow, not a fault of the response: every request is a 200.
TEST(FaultClassificationReal, SlowHeadersAreResponses) {
  ServerProcess server;
  const auto report = run(server, "/fault/slow-headers?duration=200");
  EXPECT_EQ(report["requests"]["responses"], kRequests);
  EXPECT_EQ(report["requests"]["errors"], 0);
  EXPECT_EQ(report["status_codes"]["200"], kRequests);
}

// A fault ends its own connection only: the same server answers /N after the faults.
TEST(FaultClassificationReal, AMixOfFaultsAndAnswersCountsEach) {
  ServerProcess server;
  const std::string urls = temp_file("fault-urls");
  {
    std::ofstream out(urls);
    out << base(server) << "/fault/close\n" << base(server) << "/0\n";
  }
  const auto result = loadgen(
      {"-n", "40", "-c", "4", "--urls-file", urls, "--json", "-", "-q", "--timeout", "20s"});
  std::remove(urls.c_str());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["requests"]["total"], 40);
  EXPECT_EQ(report["requests"]["responses"].get<int>() + report["errors"]["closed"].get<int>(), 40);
  EXPECT_EQ(report["requests"]["errors"], report["errors"]["closed"]);
  EXPECT_EQ(report["status_codes"]["200"], report["requests"]["responses"]);
  for (const auto& row : report["by_url"]) {
    if (row["url"].get<std::string>().find("/fault/close") != std::string::npos) {
      EXPECT_EQ(row["requests"]["responses"], 0);
      EXPECT_EQ(row["errors"]["closed"], row["requests"]["total"]);
    } else {
      EXPECT_EQ(row["requests"]["errors"], 0);
    }
  }
}

}  // namespace
}  // namespace loadlab::test
