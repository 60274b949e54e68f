#include <gtest/gtest.h>

#include <sstream>

#include "loadgen/outputs/html_report.h"
#include "loadgen/outputs/svg_chart.h"

namespace loadlab::loadgen {
namespace {

RunStats open_loop_run() {
  RunStats stats;
  stats.start_unix = 1'700'000'000;
  stats.end_unix = stats.start_unix + 3;
  stats.target_rate = 100;
  for (std::uint64_t i = 0; i < 300; ++i) {
    const std::uint64_t since_start_ns = i * 10'000'000;
    stats.record_response(i % 50 ? 200 : 503, 1000 + i * 10, 900, since_start_ns);
  }
  stats.record_error(ErrorKind::kReset, 2'500'000'000);
  stats.record_server_timing("delay;dur=1");
  return stats;
}

TEST(SvgChart, NiceTicksAreRoundAndCoverTheRange) {
  EXPECT_EQ(nice_ticks(0, 10), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(nice_ticks(0, 1000, 4), (std::vector<double>{0, 500, 1000}));
  const auto ticks = nice_ticks(0, 0.37);
  EXPECT_GE(ticks.back(), 0.3);
  EXPECT_GE(nice_ticks(5, 5).size(), 2u);  // an empty range still gets an axis
}

TEST(SvgChart, EscapesText) { EXPECT_EQ(escape_xml("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;"); }

TEST(SvgChart, LineChartDrawsEverySeriesWithALegend) {
  LineChart chart("T <1>", "x", "y");
  chart.add({"first", "#111111", {{0, 1}, {1, 2}}, false});
  chart.add({"second", "#222222", {{0, 3}, {1, 0}}, true});
  const std::string svg = chart.svg();
  EXPECT_NE(svg.find("T &lt;1&gt;"), std::string::npos);
  EXPECT_NE(svg.find("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"#111111\""),
            std::string::npos);
  EXPECT_NE(svg.find("<rect fill=\"#222222\" opacity"), std::string::npos);
  EXPECT_NE(svg.find(">first</text>"), std::string::npos);
  EXPECT_NE(svg.find(">second</text>"), std::string::npos);
}

TEST(HtmlReport, HoldsEveryPlotAndTheNumbers) {
  const RunStats stats = open_loop_run();
  const std::string html =
      render_html_report(stats, {{"urls", {"http://x/<1>"}}, {"concurrency", 10}},
                         {evaluate_slo(parse_slo("p99<1ms"), stats)}, "run & title");
  EXPECT_NE(html.find("<title>run &amp; title</title>"), std::string::npos);
  EXPECT_NE(html.find("http://x/&lt;1&gt;"), std::string::npos);  // config text is escaped
  for (const char* plot :
       {"Latency by percentile", "Latency over time", "Throughput and errors over time",
        "Status codes and errors", "Where the time went"}) {
    EXPECT_NE(html.find(std::string("aria-label=\"") + plot), std::string::npos) << plot;
  }
  EXPECT_NE(html.find("service time (from send)"), std::string::npos);
  EXPECT_NE(html.find("requested rate"), std::string::npos);
  EXPECT_NE(html.find("HTTP 503"), std::string::npos);
  EXPECT_NE(html.find("error: reset"), std::string::npos);
  EXPECT_NE(html.find("breached"), std::string::npos);
  EXPECT_NE(html.find(">99%</text>"),
            std::string::npos);  // the percentile axis, as far as 300 samples reach
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

// --stages: the requested rate is drawn from the slots due in each interval, so it follows
// the stages (up, hold, down) instead of a flat line at their average.
TEST(HtmlReport, TheRequestedRateFollowsTheStages) {
  RunStats stats;
  stats.start_unix = 1'700'000'000;
  stats.end_unix = stats.start_unix + 5;
  stats.target_rate = 120;
  stats.stages_s = 5;
  const std::uint64_t due[] = {50, 150, 200, 150, 50};
  for (std::size_t i = 0; i < 5; ++i) {
    stats.interval_at(i * 1'000'000'000ULL).scheduled = due[i];
    stats.record_response(200, 1000, 1000, i * 1'000'000'000ULL + 1);
  }
  const std::string html = render_html_report(stats, nlohmann::json::object(), {}, "stages");
  const std::string grey = "stroke=\"#7f7f7f\" points=\"";  // the requested rate's grey
  const auto at = html.find(grey);
  ASSERT_NE(at, std::string::npos);
  std::istringstream points(
      html.substr(at + grey.size(), html.find('"', at + grey.size()) - (at + grey.size())));
  std::vector<double> ys;
  for (std::string point; points >> point;)
    ys.push_back(std::stod(point.substr(point.find(',') + 1)));
  ASSERT_EQ(ys.size(), 5u);
  // SVG y grows downwards: the hold is the highest point, the ramps' ends the lowest.
  EXPECT_LT(ys[2], ys[1]);
  EXPECT_LT(ys[1], ys[0]);
  EXPECT_DOUBLE_EQ(ys[1], ys[3]);
  EXPECT_DOUBLE_EQ(ys[0], ys[4]);
}

TEST(HtmlReport, AnEmptyRunStillRenders) {
  const std::string html = render_html_report(RunStats{}, nlohmann::json::object(), {}, "empty");
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(html.find("inf"), std::string::npos);
}

}  // namespace
}  // namespace loadlab::loadgen
