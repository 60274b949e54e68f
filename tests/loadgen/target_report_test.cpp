// The target's side in the reports: what the server's count of requests is compared with,
// and Little's law from both ends.
#include "loadgen/scrape/target_report.h"

#include <gtest/gtest.h>

#include <string>

#include "loadgen/run_stats.h"
#include "loadgen/scrape/littles_law.h"

namespace loadlab::loadgen {
namespace {

RunStats run_with_source(const std::string& url, std::uint64_t responses,
                         std::uint64_t server_counted) {
  RunStats s;
  s.start_unix = 1000;
  s.end_unix = 1010;
  s.set_urls({url});
  for (std::uint64_t i = 0; i < responses; ++i) s.record_response(200, 100'000, 100'000, 0);
  ScrapeSource source;
  source.url = "http://127.0.0.1:8080/metrics";
  source.scrapes = 3;
  source.requests_by_code = std::map<std::string, std::uint64_t>{{"200", server_counted}};
  s.target.sources.push_back(source);
  return s;
}

TEST(TargetReport, CountsAreComparedOnlyWhenTheyCountTheSameRequests) {
  const std::string same = target_summary_text(run_with_source("http://127.0.0.1:8080/x", 40, 40));
  EXPECT_NE(same.find("the loadgen counted 40 responses (the same)"), std::string::npos) << same;
  const std::string fewer = target_summary_text(run_with_source("http://127.0.0.1:8080/x", 40, 37));
  EXPECT_NE(fewer.find("(3 fewer on the server's side"), std::string::npos) << fewer;
  // Another host's URL: the loadgen's count is not the scraped server's.
  const std::string other = target_summary_text(run_with_source("http://127.0.0.1:9090/x", 40, 40));
  EXPECT_NE(other.find("the server answered 40 requests"), std::string::npos) << other;
  EXPECT_EQ(other.find("the loadgen counted"), std::string::npos) << other;
  // A merge: its sources each saw one report's share.
  RunStats merged = run_with_source("http://127.0.0.1:8080/x", 40, 20);
  merged.runs_merged = 2;
  const std::string text = target_summary_text(merged);
  EXPECT_EQ(text.find("the loadgen counted"), std::string::npos) << text;
  EXPECT_EQ(target_html(merged).find("the loadgen counted"), std::string::npos);
}

// The client's rate is of the requests its mean is over: responses, not errors.
TEST(TargetReport, LittlesLawRateIsOfResponses) {
  RunStats s = run_with_source("http://127.0.0.1:8080/x", 100, 100);  // 10 s, 100 ms each
  for (int i = 0; i < 100; ++i) s.record_error(ErrorKind::kTimeout);
  s.target.sources[0].series_named(kSeriesInFlight).points = {{1, 1}, {2, 1}, {3, 1}};
  const auto law = check_littles_law(s);
  ASSERT_TRUE(law);
  EXPECT_DOUBLE_EQ(law->client_rate, 10.0);
  EXPECT_NEAR(law->client_in_flight, 1.0, 0.01);
  EXPECT_TRUE(law->agree) << law->statement;
}

}  // namespace
}  // namespace loadlab::loadgen
