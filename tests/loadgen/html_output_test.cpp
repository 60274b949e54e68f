// --html on a real run: one self-contained page with every plot. (The page itself is unit-tested
// in report_html_test.cpp.)
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/loadgen/run_loadgen.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

TEST(HtmlReport, IsSelfContainedWithEveryPlot) {
  ServerProcess server;
  const std::string html_path = temp_file("report.html");
  const auto result = loadgen(
      {"--rate", "200", "-c", "10", "-d", "2s", "--html", html_path, "-q", base(server) + "/2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string html = slurp(html_path);
  std::remove(html_path.c_str());
  ASSERT_FALSE(html.empty());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* plot :
       {"Latency by percentile", "Latency over time", "Throughput and errors over time",
        "Status codes and errors", "Where the time went"}) {
    EXPECT_NE(html.find(std::string("aria-label=\"") + plot), std::string::npos) << plot;
  }
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  // Nothing is fetched: no scripts, no links, no external stylesheets or images.
  for (const char* fetch : {"<script", "src=", "href=", "url(", "@import"}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
}

}  // namespace
}  // namespace loadlab::test
