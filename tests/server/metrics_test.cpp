#include "server/metrics.h"

#include <gtest/gtest.h>

namespace loadlab::server {
namespace {

TEST(Metrics, SumsEveryLoopAndRendersPrometheusText) {
  MetricsRegistry registry(2);
  registry.loop(0).record_response(RouteKind::kDelay, 200, 150'000'000);  // 0.15 s
  registry.loop(1).record_response(RouteKind::kDelay, 200, 2'000'000);    // 0.002 s
  registry.loop(1).record_response(RouteKind::kOther, 404, 1000);
  registry.loop(1).record_response(RouteKind::kOther, 418, 1000);
  registry.loop(1).record_response(RouteKind::kOther, 599, 1000);  // untracked status
  registry.loop(0).in_flight.add(3);
  registry.loop(1).in_flight.add(2);
  std::string text;
  registry.render(text);
  EXPECT_NE(text.find("loadlab_http_requests_total{route=\"delay\",code=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("loadlab_http_requests_total{route=\"other\",code=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("loadlab_http_requests_total{route=\"other\",code=\"other\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("loadlab_http_requests_total{route=\"other\",code=\"418\"} 1\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("loadlab_http_request_duration_seconds_bucket{route=\"delay\",le=\"0.001\"} 0\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("loadlab_http_request_duration_seconds_bucket{route=\"delay\",le=\"0.0025\"} 1\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("loadlab_http_request_duration_seconds_bucket{route=\"delay\",le=\"0.25\"} 2\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("loadlab_http_request_duration_seconds_bucket{route=\"delay\",le=\"+Inf\"} 2\n"),
      std::string::npos);
  EXPECT_NE(text.find("loadlab_http_request_duration_seconds_count{route=\"delay\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("loadlab_http_requests_in_flight 5\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE loadlab_http_request_duration_seconds histogram\n"),
            std::string::npos);
}

class FixedSource : public MetricsSource {
 public:
  void append_prometheus(std::string& out) const override { out.append("extra_metric 7\n"); }
};

TEST(Metrics, AppendsRegisteredSources) {
  MetricsRegistry registry(1);
  FixedSource source;
  registry.add_source(&source);
  std::string text;
  registry.render(text);
  EXPECT_TRUE(text.ends_with("extra_metric 7\n"));
}

}  // namespace
}  // namespace loadlab::server
