// The JSON report: its schema, the round trip merge relies on, and what it refuses to read.
#include <gtest/gtest.h>

#include <sstream>

#include "loadgen/outputs/html_report.h"
#include "loadgen/outputs/json_report.h"
#include "loadgen/outputs/text_summary.h"
#include "loadgen/outputs/wording.h"
#include "tests/loadgen/sample_stats.h"

namespace loadlab::loadgen {
namespace {

TEST(Report, PhasesAndTlsCountsRoundTripAndOlderReportsStillRead) {
  RunStats stats = sample(1000, 1700000000.5);
  stats.connections_opened = 3;
  for (std::uint64_t us : {150, 170, 190}) stats.connect_us.record(us);
  for (std::uint64_t us : {900, 400, 410}) stats.tls_handshake_us.record(us);
  for (std::uint64_t i = 0; i < 100; ++i) stats.ttfb_us.record(700 + i);
  stats.tls_handshakes = 3;
  stats.tls_resumed = 2;
  stats.errors[static_cast<std::size_t>(ErrorKind::kTls)] = 4;
  stats.tls_failure = "TLS failed (unknown_issuer): ...";
  RunOptions options;
  options.urls = {"https://127.0.0.1:1/"};
  const nlohmann::json json = report_to_json(stats, options_to_json(options));
  EXPECT_EQ(json["ttfb_us"]["count"], 100);
  EXPECT_EQ(json["tls_handshake_us"]["count"], 3);
  EXPECT_EQ(json["tls"]["handshakes"], 3);
  EXPECT_EQ(json["tls"]["resumed"], 2);
  EXPECT_EQ(json["errors"]["tls"], 4);
  const RunStats back = report_from_json(nlohmann::json::parse(json.dump()));
  EXPECT_EQ(report_to_json(back, options_to_json(options)), json);
  RunStats merged = back;
  merged.merge(back);
  EXPECT_EQ(merged.ttfb_us.count(), 200u);
  EXPECT_EQ(merged.tls_handshake_us.count(), 6u);
  EXPECT_EQ(merged.tls_resumed, 4u);
  EXPECT_EQ(merged.errors[static_cast<std::size_t>(ErrorKind::kTls)], 8u);
  EXPECT_EQ(merged.tls_failure, stats.tls_failure);
  // A report from before the phases and TLS: it reads, with empty phases, and merges.
  nlohmann::json older = json;
  for (const char* key :
       {"tls_handshake_us", "tls_handshake_histogram", "ttfb_us", "ttfb_histogram", "tls"})
    older.erase(key);
  older["errors"].erase("tls");
  const RunStats old = report_from_json(older);
  EXPECT_EQ(old.ttfb_us.count(), 0u);
  EXPECT_EQ(old.tls_handshakes, 0u);
  EXPECT_EQ(old.errors[static_cast<std::size_t>(ErrorKind::kTls)], 0u);
  merged.merge(old);
  EXPECT_EQ(merged.ttfb_us.count(), 200u);
  EXPECT_EQ(merged.responses, 300u);
}

TEST(Report, JsonRoundTripAndSchema) {
  const RunStats stats = sample(1000, 1700000000.5);
  RunOptions options;
  options.urls = {"http://127.0.0.1:1/{rand:1:5}"};
  const nlohmann::json json = report_to_json(stats, options_to_json(options));
  for (const char* key : {"schema", "tool", "config", "start_time", "start_unix", "end_unix",
                          "duration_s", "requests", "throughput_rps", "status_codes", "errors",
                          "latency_us", "latency_histogram", "server_timing"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["schema"], "loadlab-report/1");
  for (const char* key :
       {"p50", "p75", "p90", "p99", "p99_9", "p99_99", "min", "max", "mean", "stddev"}) {
    EXPECT_TRUE(json["latency_us"].contains(key)) << key;
  }
  const RunStats back = report_from_json(nlohmann::json::parse(json.dump()));
  EXPECT_EQ(report_to_json(back, options_to_json(options)), json);
  EXPECT_THROW(report_from_json(nlohmann::json{{"schema", "other"}}), std::invalid_argument);
  EXPECT_THROW(report_from_json(nlohmann::json{{"schema", "loadlab-report/1"}}),
               std::invalid_argument);
}

TEST(Report, OpenLoopFieldsRoundTrip) {
  RunStats stats;
  stats.start_unix = 1000;
  stats.end_unix = 1002;
  stats.target_rate = 1.0;
  stats.late_starts = 1;
  stats.max_start_lag_us = 40'000;
  stats.record_response(200, 50'000, 10'000, 0);
  stats.record_response(200, 1'000, 1'000, 1'500'000'000);
  const auto json =
      report_to_json(stats, nlohmann::json::object(), {evaluate_slo(parse_slo("rps>0.5"), stats)});
  EXPECT_EQ(json["rate"]["requested_rps"], 1.0);
  EXPECT_TRUE(json["rate"]["kept_up"]);
  EXPECT_EQ(json["service_us"]["max"], 10'000);
  ASSERT_EQ(json["intervals"].size(), 2u);
  EXPECT_EQ(json["intervals"][1]["t_s"], 1.0);
  EXPECT_EQ(json["intervals"][0]["latency_us"]["p99"], 50'000);
  EXPECT_TRUE(json["slo"]["passed"]);
  const RunStats back = report_from_json(json);
  EXPECT_EQ(back.service_us.max(), 10'000u);
  EXPECT_EQ(back.intervals.size(), 2u);
  EXPECT_EQ(back.intervals[1].latency_us.count(), 1u);
  EXPECT_EQ(*back.target_rate, 1.0);
  EXPECT_EQ(back.late_starts, 1u);
  EXPECT_EQ(back.max_start_lag_us, 40'000u);
}

TEST(Report, ClosedLoopRunsHaveNoRate) {
  RunStats stats;
  stats.record_response(200, 5);
  EXPECT_TRUE(report_to_json(stats, nlohmann::json::object())["rate"].is_null());
}

TEST(Report, AMergeWithAReportWithoutUrlRowsSaysSo) {
  RunStats newer = sample(1000, 100);
  newer.set_urls({"http://h/x"});
  for (std::uint64_t i = 0; i < newer.total(); ++i) newer.record_url_response(0, 200, 10);
  EXPECT_TRUE(report_notes(newer).empty());
  nlohmann::json older = report_to_json(sample(1000, 100), nlohmann::json::object());
  older.erase("by_url");
  older.erase("notes");
  newer.merge(report_from_json(older));
  const auto notes = report_notes(newer);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("cover 101 of 202"), std::string::npos) << notes[0];
  EXPECT_EQ(report_to_json(newer, nlohmann::json::object())["notes"][0], notes[0]);
}

TEST(Report, OlderReportsCancelledErrorsAreReadAsCancelled) {
  nlohmann::json older = report_to_json(sample(1000, 100), nlohmann::json::object());
  older["errors"]["cancelled"] = 7;
  older["requests"].erase("cancelled");
  const RunStats read = report_from_json(older);
  EXPECT_EQ(read.cancelled, 7u);
  EXPECT_EQ(read.total(), 101u);
}

// A run against a server that commits every fault: each kind, whole run and per URL.
RunStats faulty_run() {
  RunStats stats;
  stats.start_unix = 100;
  stats.end_unix = 102;
  stats.set_urls({"http://h/fault", "http://h/ok"});
  for (std::uint64_t i = 0; i < 10; ++i) {
    stats.record_response(200, 1000 + i, 1000 + i, 0);
    stats.record_url_response(1, 200, 1000 + i);
  }
  const std::pair<ErrorKind, int> faults[] = {{ErrorKind::kReset, 1},
                                              {ErrorKind::kClosed, 2},
                                              {ErrorKind::kTruncated, 3},
                                              {ErrorKind::kParse, 4},
                                              {ErrorKind::kTimeout, 5}};
  for (const auto& [kind, count] : faults) {
    for (int i = 0; i < count; ++i) {
      stats.record_error(kind, 0);
      stats.record_url_error(0, kind);
    }
  }
  return stats;
}

TEST(Report, EveryFaultKindIsInEveryOutput) {
  const RunStats stats = faulty_run();
  const nlohmann::json json = report_to_json(stats, nlohmann::json::object());
  EXPECT_EQ(json["errors"], (nlohmann::json{{"connect", 0},
                                            {"timeout", 5},
                                            {"reset", 1},
                                            {"closed", 2},
                                            {"truncated", 3},
                                            {"parse", 4},
                                            {"tls", 0}}));
  EXPECT_EQ(json["requests"]["errors"], 15);
  EXPECT_EQ(json["by_url"][0]["errors"]["closed"], 2);
  EXPECT_EQ(json["by_url"][0]["errors"]["truncated"], 3);
  const RunStats back = report_from_json(nlohmann::json::parse(json.dump()));
  EXPECT_EQ(report_to_json(back, nlohmann::json::object()), json);

  std::ostringstream text;
  print_summary(text, stats, "faults");
  EXPECT_NE(text.str().find("Errors:        timeout 5 reset 1 closed 2 truncated 3 parse 4"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("\n       timeout 5 reset 1 closed 2 truncated 3 parse 4\n"),
            std::string::npos)
      << text.str();  // the faulty URL's row

  const std::string html = render_html_report(stats, nlohmann::json::object(), {}, "faults");
  for (const char* bar : {"error: reset", "error: closed", "error: truncated", "error: parse"})
    EXPECT_NE(html.find(bar), std::string::npos) << bar;
  EXPECT_NE(html.find("timeout: 5, reset: 1, closed: 2, truncated: 3, parse: 4"),
            std::string::npos);  // the URL table
}

// Reports written before closed and truncated existed (those were counted as resets) merge:
// the kinds they lack are 0, and the merged report has them all.
TEST(Report, OlderReportsWithoutTheFaultKindsMerge) {
  nlohmann::json older = report_to_json(faulty_run(), nlohmann::json::object());
  for (auto* errors : {&older["errors"], &older["by_url"][0]["errors"]}) {
    (*errors)["reset"] = (*errors)["reset"].get<int>() + (*errors)["closed"].get<int>() +
                         (*errors)["truncated"].get<int>();
    errors->erase("closed");
    errors->erase("truncated");
  }
  const RunStats read = report_from_json(older);
  EXPECT_EQ(read.errors[static_cast<std::size_t>(ErrorKind::kReset)], 6u);
  EXPECT_EQ(read.errors[static_cast<std::size_t>(ErrorKind::kClosed)], 0u);
  EXPECT_EQ(read.errors[static_cast<std::size_t>(ErrorKind::kTruncated)], 0u);
  EXPECT_EQ(read.total(), 25u);
  RunStats merged = faulty_run();
  merged.merge(read);
  const nlohmann::json json = report_to_json(merged, nlohmann::json::object());
  EXPECT_EQ(json["errors"]["reset"], 7);
  EXPECT_EQ(json["errors"]["closed"], 2);
  EXPECT_EQ(json["errors"]["truncated"], 3);
  EXPECT_EQ(json["requests"]["total"], 50);
  EXPECT_EQ(json["by_url"][0]["errors"]["reset"], 7);
  EXPECT_TRUE(json["notes"].empty());  // the URL rows still cover every request
}

// Found by report_merge_fuzz: counts that are floats out of range (1e82, undefined behaviour to
// convert) or negative, and status codes std::stoi refused with std::out_of_range (which the
// merge command does not catch) or took in part ("2x" as 2).
TEST(Report, FromJsonRefusesNumbersThatAreNotCounts) {
  const nlohmann::json good = report_to_json(sample(1000, 1700000000.5), nlohmann::json::object());
  ASSERT_NO_THROW(report_from_json(good));
  for (const nlohmann::json& number :
       {nlohmann::json(1e82), nlohmann::json(-1), nlohmann::json(2.5)}) {
    std::vector<nlohmann::json> bad(6, good);
    bad[0]["requests"]["responses"] = number;
    bad[1]["interval_ms"] = number;
    bad[2]["status_codes"]["200"] = number;
    bad[3]["errors"]["timeout"] = number;
    bad[4]["runs_merged"] = number;
    bad[5]["bytes_read"] = number;
    for (std::size_t i = 0; i < bad.size(); ++i) {
      EXPECT_THROW(report_from_json(bad[i]), std::invalid_argument) << i << ": " << number;
    }
  }
  for (const char* status : {"99999999999", "2x", "-200", "", "20"}) {
    nlohmann::json bad = good;
    bad["status_codes"][status] = 1;
    EXPECT_THROW(report_from_json(bad), std::invalid_argument) << status;
  }
}

}  // namespace
}  // namespace loadlab::loadgen
