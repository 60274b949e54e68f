#include "common/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/printable.h"

namespace loadlab {
namespace {

TEST(PrometheusText, CountersGaugesHelpAndType) {
  const auto text = parse_prometheus_text(
      "# HELP requests_total Requests.\\nSecond line \\\\ done\n"
      "# TYPE requests_total counter\n"
      "requests_total{route=\"delay\",code=\"200\"} 12\n"
      "requests_total{route=\"metrics\",code=\"200\"} 3 1700000000000\n"
      "# a comment\n"
      "\n"
      "# TYPE in_flight gauge\n"
      "in_flight 4.5\n");
  ASSERT_TRUE(text.ok()) << text.error;
  ASSERT_EQ(text.samples.size(), 3u);
  EXPECT_EQ(text.families.at("requests_total").type, PromType::kCounter);
  EXPECT_EQ(text.families.at("requests_total").help, "Requests.\nSecond line \\ done");
  EXPECT_EQ(text.samples[1].timestamp_ms, 1700000000000);
  EXPECT_EQ(text.sum("requests_total"), 15);
  EXPECT_EQ(text.sum("requests_total", {}, {{"route", "metrics"}}), 12);
  EXPECT_EQ(text.sum("requests_total", {{"route", "metrics"}}), 3);
  EXPECT_EQ(text.sum("in_flight"), 4.5);
  EXPECT_EQ(text.sum("absent"), std::nullopt);
  EXPECT_EQ(text.type_of(text.samples[2]), PromType::kGauge);
}

TEST(PrometheusText, LabelEscapes) {
  const auto text =
      parse_prometheus_text("m{path=\"C:\\\\dir\",quote=\"say \\\"hi\\\"\",lines=\"a\\nb\",} 1\n");
  ASSERT_TRUE(text.ok()) << text.error;
  const PromSample& s = text.samples.at(0);
  EXPECT_EQ(s.label("path"), "C:\\dir");
  EXPECT_EQ(s.label("quote"), "say \"hi\"");
  EXPECT_EQ(s.label("lines"), "a\nb");
  EXPECT_EQ(s.label("none"), std::nullopt);
}

TEST(PrometheusText, SpecialValues) {
  const auto text = parse_prometheus_text("a NaN\nb +Inf\nc -Inf\nd 1e3\ne -0.5\nf +2\n");
  ASSERT_TRUE(text.ok()) << text.error;
  EXPECT_TRUE(std::isnan(text.samples[0].value));
  EXPECT_EQ(text.samples[1].value, HUGE_VAL);
  EXPECT_EQ(text.samples[2].value, -HUGE_VAL);
  EXPECT_EQ(text.samples[3].value, 1000);
  EXPECT_EQ(text.samples[4].value, -0.5);
  EXPECT_EQ(text.samples[5].value, 2);
}

TEST(PrometheusText, Histogram) {
  const auto text = parse_prometheus_text(
      "# TYPE d histogram\n"
      "d_bucket{route=\"a\",le=\"0.1\"} 2\n"
      "d_bucket{route=\"a\",le=\"+Inf\"} 5\n"
      "d_bucket{route=\"a\",le=\"0.5\"} 4\n"
      "d_sum{route=\"a\"} 1.25\n"
      "d_count{route=\"a\"} 5\n"
      "d_bucket{route=\"b\",le=\"+Inf\"} 0\n"
      "d_sum{route=\"b\"} 0\n"
      "d_count{route=\"b\"} 0\n");
  ASSERT_TRUE(text.ok()) << text.error;
  EXPECT_EQ(text.family_of(text.samples[0]), "d");
  EXPECT_EQ(text.type_of(text.samples[3]), PromType::kHistogram);
  const auto histograms = text.histograms("d");
  ASSERT_EQ(histograms.size(), 2u);
  const PromHistogram& a = histograms[0];
  ASSERT_EQ(a.labels.size(), 1u);
  EXPECT_EQ(a.labels[0].second, "a");
  ASSERT_EQ(a.buckets.size(), 3u);  // sorted by le
  EXPECT_EQ(a.buckets[0], std::make_pair(0.1, 2.0));
  EXPECT_EQ(a.buckets[1], std::make_pair(0.5, 4.0));
  EXPECT_EQ(a.buckets[2].first, HUGE_VAL);
  EXPECT_EQ(a.sum, 1.25);
  EXPECT_EQ(a.count, 5);
}

TEST(PrometheusText, MalformedLinesNameTheirLine) {
  struct Case {
    const char* text;
    std::size_t line;
  };
  for (const Case& c : {
           Case{"ok 1\nbad{ 1\n", 2}, Case{"m{a=\"unterminated} 1\n", 1},
           Case{"m{a=\"x\\q\"} 1\n", 1},                 // unknown escape
           Case{"m 1 2 3\n", 1},                         // text after the timestamp
           Case{"m abc\n", 1},                           // not a number
           Case{"m\n", 1},                               // no value
           Case{"1m 1\n", 1},                            // a name starts with a letter
           Case{"m{a=\"1\",a=\"2\"} 1\n", 1},            // a label twice
           Case{"m{a=1} 1\n", 1},                        // an unquoted value
           Case{"\n\n# TYPE m sometype\n", 3},           // an unknown type
           Case{"# TYPE h histogram\nh_bucket 1\n", 2},  // a bucket without le
           Case{"m 1 12.5\n", 1},                        // a timestamp is an integer
           Case{"m inf\n", 1},                           // spelt Inf, +Inf, -Inf or NaN only
           Case{"m{a=\"x\"}1\n", 1},                     // no blank before the value
       }) {
    const auto parsed = parse_prometheus_text(c.text);
    EXPECT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.error_line, c.line) << c.text << " -> " << parsed.error;
    EXPECT_TRUE(parsed.error.starts_with("line " + std::to_string(c.line) + ": ")) << parsed.error;
    EXPECT_TRUE(parsed.samples.empty());
  }
}

TEST(PrometheusText, LongLinesAreAnError) {
  const std::string text = "m{a=\"" + std::string(kPromMaxLineBytes, 'x') + "\"} 1\n";
  EXPECT_FALSE(parse_prometheus_text(text).ok());
}

// An error quotes the input printable and short: a target's bytes may be anything, and the
// message goes into JSON reports (whose writer refuses invalid UTF-8).
TEST(PrometheusText, ErrorsQuoteTheInputPrintableAndShort) {
  for (const std::string& text : {
           std::string("m \xff\xfe\x01\n"),              // bad value
           std::string("m 1 \xff\n"),                    // bad timestamp
           std::string("# TYPE m \xc3\n"),               // bad type
           std::string("m{a=\"x\\\xff\"} 1\n"),          // bad escape
           "m " + std::string(60'000, '7') + "x\n",      // a long bad value
           "m 1 " + std::string(60'000, '\xff') + "\n",  // a long bad stamp
           "m{" + std::string(60'000, 'a') + " 1\n",     // a long label name
           "# TYPE h histogram\nh_bucket{le=\"" + std::string(5000, '\x80') + "\"} 1\n",
       }) {
    const auto parsed = parse_prometheus_text(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_LE(parsed.error.size(), 200u) << parsed.error;
    for (const char c : parsed.error) ASSERT_TRUE(c >= 0x20 && c < 0x7f) << parsed.error;
  }
  EXPECT_NE(parse_prometheus_text("m \xff\n").error.find("'\\xff'"), std::string::npos)
      << parse_prometheus_text("m \xff\n").error;
}

TEST(PrintableExcerpt, EscapesAndCuts) {
  EXPECT_EQ(printable_excerpt("a b\\c\x01\xff"), "a b\\c\\x01\\xff");
  EXPECT_EQ(printable_excerpt(printable_excerpt("\xff")), "\\xff");
  EXPECT_EQ(printable_excerpt(std::string(100, 'x'), 10), "xxxxxxx...");
  EXPECT_EQ(printable_excerpt(std::string(10, 'x'), 10), std::string(10, 'x'));
  EXPECT_EQ(printable_excerpt("abcdef\xff\xff", 12), "abcdef...");  // an escape is never split
}

// A line of many labels (each checked against the others) and a scrape of many families are
// bounded: an error naming the line, not quadratic time or unbounded memory.
TEST(PrometheusText, LabelsAndFamiliesAreBounded) {
  auto labels = [](std::size_t n) {
    std::string line = "m{";
    for (std::size_t i = 0; i < n; ++i) line += "l" + std::to_string(i) + "=\"\",";
    return line + "} 1\n";
  };
  const auto most = parse_prometheus_text(labels(kPromMaxLabels));
  ASSERT_TRUE(most.ok()) << most.error;
  EXPECT_EQ(most.samples.at(0).labels.size(), kPromMaxLabels);
  const auto too_many = parse_prometheus_text("ok 1\n" + labels(kPromMaxLabels + 1));
  EXPECT_EQ(too_many.error_line, 2u);
  EXPECT_NE(too_many.error.find("more than 128 labels"), std::string::npos) << too_many.error;

  std::string families;
  for (std::size_t i = 0; i <= kPromMaxFamilies; ++i)
    families += "# TYPE f" + std::to_string(i) + " gauge\n";
  const auto parsed = parse_prometheus_text(families);
  EXPECT_EQ(parsed.error_line, kPromMaxFamilies + 1);
  EXPECT_NE(parsed.error.find("metric families"), std::string::npos) << parsed.error;
  EXPECT_LE(parsed.families.size(), kPromMaxFamilies);
  // The same family named again is no new one.
  EXPECT_TRUE(parse_prometheus_text("# TYPE f gauge\n# HELP f text\n# TYPE f gauge\n").ok());
}

TEST(PrometheusText, CarriageReturnsAndBlanksAreTolerated) {
  const auto text = parse_prometheus_text("  m  1  \r\n\tn{a=\"b\"}\t2\r\n");
  ASSERT_TRUE(text.ok()) << text.error;
  EXPECT_EQ(text.sum("m"), 1);
  EXPECT_EQ(text.sum("n"), 2);
}

}  // namespace
}  // namespace loadlab
