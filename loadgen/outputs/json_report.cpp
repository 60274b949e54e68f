#include "loadgen/outputs/json_report.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "common/decimal.h"
#include "common/json_count.h"
#include "loadgen/format.h"
#include "loadgen/outputs/capacity_report.h"
#include "loadgen/outputs/report_input.h"
#include "loadgen/outputs/wording.h"
#include "loadgen/scrape/target_report.h"
#include "loadgen/shard.h"

namespace loadlab::loadgen {
namespace {

nlohmann::json summary_json(const LatencyHistogram& h) {
  nlohmann::json summary = {{"count", h.count()},
                            {"min", h.min()},
                            {"max", h.max()},
                            {"mean", h.mean()},
                            {"stddev", h.stddev()}};
  for (const auto& [name, p] : kReportPercentiles) summary[name] = h.value_at_percentile(p);
  return summary;
}

nlohmann::json intervals_json(const RunStats& s) {
  nlohmann::json series = nlohmann::json::array();
  const double seconds = static_cast<double>(s.interval_ms) / 1000.0;
  for (std::size_t i = 0; i < s.intervals.size(); ++i) {
    const IntervalStats& in = s.intervals[i];
    const LatencyHistogram& h = in.latency_us;
    const double length = s.interval_length_s(i);
    series.push_back({{"t_s", static_cast<double>(i) * seconds},
                      {"length_s", length},
                      {"responses", in.responses},
                      {"errors", in.errors},
                      {"rps", static_cast<double>(in.responses + in.errors) / length},
                      {"scheduled", in.scheduled},
                      {"latency_us",
                       {{"p50", h.value_at_percentile(50)},
                        {"p90", h.value_at_percentile(90)},
                        {"p99", h.value_at_percentile(99)},
                        {"max", h.max()}}},
                      {"histogram", h.to_json()}});
  }
  return series;
}

nlohmann::json errors_json(const std::array<std::uint64_t, kErrorKinds>& errors) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < kErrorKinds; ++i)
    out[error_kind_name(static_cast<ErrorKind>(i))] = errors[i];
  return out;
}

nlohmann::json statuses_json(const std::map<int, std::uint64_t>& codes) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [status, count] : codes) out[std::to_string(status)] = count;
  return out;
}

nlohmann::json by_url_json(const RunStats& s) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& u : s.by_url) {
    list.push_back({{"url", u.url},
                    {"requests",
                     {{"total", u.total()},
                      {"responses", u.responses},
                      {"errors", u.error_count()},
                      {"cancelled", u.cancelled}}},
                    {"status_codes", statuses_json(u.status_codes)},
                    {"errors", errors_json(u.errors)},
                    {"latency_us", summary_json(u.latency_us)},
                    {"latency_histogram", u.latency_us.to_json()}});
  }
  return list;
}

void read_counts(const nlohmann::json& requests, const nlohmann::json& statuses,
                 const nlohmann::json& errors, std::map<int, std::uint64_t>& status_codes,
                 std::array<std::uint64_t, kErrorKinds>& error_counts, std::uint64_t& cancelled) {
  for (const auto& [status, count] : statuses.items()) {
    // A status code is three digits (RFC 9110 §15); std::stoi took "2x", "-5" and threw
    // std::out_of_range, which no caller expects, for "99999999999".
    const auto code = parse_decimal_u64(status);
    if (!code || *code < 100 || *code > 999)
      throw std::invalid_argument("malformed report: status code '" + status + "'");
    status_codes[static_cast<int>(*code)] = json_count(count, "status " + status);
  }
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    error_counts[i] = json_count_or(errors, error_kind_name(static_cast<ErrorKind>(i)), 0);
  }
  // Older reports counted cancelled requests as an error kind.
  cancelled = json_count_or(requests, "cancelled", json_count_or(errors, "cancelled", 0));
}

nlohmann::json rate_json(const RunStats& s) {
  const auto rate = s.rate_check();
  if (!rate) return nullptr;
  return {{"requested_rps", rate->requested}, {"achieved_rps", rate->achieved},
          {"scheduled_rps", rate->scheduled}, {"kept_up", rate->kept_up},
          {"late_starts", s.late_starts},     {"unsent", s.unsent},
          {"last_send_s", s.last_send_s},     {"last_due_s", s.last_due_s},
          {"stages_s", s.stages_s},           {"max_start_lag_us", s.max_start_lag_us}};
}

// https:// runs only (null otherwise): handshakes completed, how many resumed a session, and
// the first failure in words.
nlohmann::json tls_json(const RunStats& s) {
  if (s.tls_handshakes == 0 && s.tls_failure.empty() &&
      s.errors[static_cast<std::size_t>(ErrorKind::kTls)] == 0)
    return nullptr;
  return {{"handshakes", s.tls_handshakes},
          {"resumed", s.tls_resumed},
          {"first_failure",
           s.tls_failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.tls_failure)}};
}

// A sharded run's (or a merge's) place: which run, which shards; null for a plain run.
nlohmann::json shard_json(const RunStats& s) {
  if (s.shard_count == 0 && s.run_id.empty()) return nullptr;
  nlohmann::json shard = {{"run_id", s.run_id},
                          {"count", s.shard_count},
                          {"shards", s.shards},
                          {"start_late_us", s.start_late_us}};
  if (s.shards.size() == 1) shard["index"] = s.shards.front();
  std::vector<bool> held(s.shard_count, false);
  for (const unsigned i : s.shards) {
    if (i < s.shard_count) held[i] = true;
  }
  std::vector<unsigned> missing;
  for (unsigned i = 0; i < s.shard_count; ++i) {
    if (!held[i]) missing.push_back(i);
  }
  // A shard's own report is its part; "complete" speaks of a merge, which holds them all.
  shard["missing"] = missing;
  shard["complete"] = missing.empty();
  return shard;
}

nlohmann::json slo_json(const std::vector<SloResult>& results) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : results) {
    list.push_back({{"slo", r.slo.text},
                    {"actual", r.actual},
                    {"threshold", r.slo.threshold},
                    {"passed", r.passed}});
  }
  return {{"passed", all_passed(results)}, {"results", list}};
}

}  // namespace

nlohmann::json options_to_json(const RunOptions& o) {
  return {
      {"urls", o.urls},
      {"method", o.method},
      {"concurrency", o.concurrency},
      {"threads", o.threads},
      {"requests", o.requests ? nlohmann::json(*o.requests) : nlohmann::json(nullptr)},
      {"duration_ms", o.duration_ms ? nlohmann::json(*o.duration_ms) : nlohmann::json(nullptr)},
      {"keepalive", o.keepalive},
      {"insecure", o.insecure},
      {"tls_min", o.tls_min},
      {"tls_resume", o.tls_resume},
      {"busy_poll_us", o.busy_poll_us},
      {"timeout_ms", o.timeout_ms},
      {"connect_timeout_ms", o.connect_timeout_ms},
      {"grace_ms", o.grace_ms},
      {"weights", o.weights},
      {"seed", o.seed},
      {"rate", o.rate ? nlohmann::json(*o.rate) : nlohmann::json(nullptr)},
      {"stages", o.stages_text.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.stages_text)},
      {"concurrency_stages", o.concurrency_stages_text.empty()
                                 ? nlohmann::json(nullptr)
                                 : nlohmann::json(o.concurrency_stages_text)},
      {"shards", o.shard.count},
      {"start_at",
       o.start_at_unix ? nlohmann::json(iso_time(*o.start_at_unix)) : nlohmann::json(nullptr)},
      {"slo", o.slos}};
}

nlohmann::json report_to_json(const RunStats& s, const nlohmann::json& config,
                              const std::vector<SloResult>& slos) {
  const nlohmann::json statuses = statuses_json(s.status_codes);
  const nlohmann::json errors = errors_json(s.errors);
  nlohmann::json timing = nlohmann::json::object();
  for (const auto& [name, h] : s.server_timing_us) {
    timing[name] = {{"summary_us", summary_json(h)}, {"histogram", h.to_json()}};
  }
  return {{"schema", kReportSchema},
          {"tool", "loadlab-loadgen " LOADLAB_VERSION},
          {"config", config},
          {"start_time", iso_time(s.start_unix)},
          {"start_unix", s.start_unix},
          {"end_unix", s.end_unix},
          {"duration_s", s.duration_s()},
          {"runs_merged", s.runs_merged},
          {"shard", shard_json(s)},
          {"requests",
           {{"total", s.total()},
            {"responses", s.responses},
            {"errors", s.error_count()},
            {"cancelled", s.cancelled}}},
          {"throughput_rps", s.throughput()},
          {"status_codes", statuses},
          {"errors", errors},
          {"latency_us", summary_json(s.latency_us)},
          {"latency_histogram", s.latency_us.to_json()},
          {"server_timing", timing},
          {"bytes_read", s.bytes_read},
          {"connections_opened", s.connections_opened},
          {"retried_stale", s.retried_stale},
          {"connect_us", summary_json(s.connect_us)},
          {"connect_histogram", s.connect_us.to_json()},
          {"tls_handshake_us", summary_json(s.tls_handshake_us)},
          {"tls_handshake_histogram", s.tls_handshake_us.to_json()},
          {"ttfb_us", summary_json(s.ttfb_us)},
          {"ttfb_histogram", s.ttfb_us.to_json()},
          {"tls", tls_json(s)},
          {"by_url", by_url_json(s)},
          {"service_us", summary_json(s.service_us)},
          {"service_histogram", s.service_us.to_json()},
          {"rate", rate_json(s)},
          {"interval_ms", s.interval_ms},
          {"intervals", intervals_json(s)},
          {"notes", report_notes(s)},
          {"target", target_to_json(s)},
          {"slo", slo_json(slos)}};
}

RunStats report_from_json(const nlohmann::json& report) {
  try {
    if (report.value("schema", "") != kReportSchema) {
      throw std::invalid_argument(std::string("not a ") + kReportSchema + " document");
    }
    RunStats s;
    s.latency_us = LatencyHistogram::from_json(report.at("latency_histogram"));
    read_counts(report.at("requests"), report.at("status_codes"), report.at("errors"),
                s.status_codes, s.errors, s.cancelled);
    for (const auto& [name, entry] : report.at("server_timing").items()) {
      s.server_timing_us.emplace(name, LatencyHistogram::from_json(entry.at("histogram")));
    }
    s.responses = json_count_at(report.at("requests"), "responses");
    s.bytes_read = json_count_or(report, "bytes_read", 0);
    s.connections_opened = json_count_or(report, "connections_opened", 0);
    s.retried_stale = json_count_or(report, "retried_stale", 0);
    s.start_unix = report.at("start_unix").get<double>();
    s.end_unix = report.at("end_unix").get<double>();
    s.runs_merged = json_count_or(report, "runs_merged", 1);
    // Fields added after the first reports: optional, so older documents still merge.
    if (report.contains("service_histogram"))
      s.service_us = LatencyHistogram::from_json(report.at("service_histogram"));
    if (report.contains("connect_histogram"))
      s.connect_us = LatencyHistogram::from_json(report.at("connect_histogram"));
    if (report.contains("tls_handshake_histogram"))
      s.tls_handshake_us = LatencyHistogram::from_json(report.at("tls_handshake_histogram"));
    if (report.contains("ttfb_histogram"))
      s.ttfb_us = LatencyHistogram::from_json(report.at("ttfb_histogram"));
    if (const auto tls = report.find("tls"); tls != report.end() && tls->is_object()) {
      s.tls_handshakes = json_count_or(*tls, "handshakes", 0);
      s.tls_resumed = json_count_or(*tls, "resumed", 0);
      if (const auto first = tls->find("first_failure"); first != tls->end() && first->is_string())
        s.tls_failure = first->get<std::string>();
    }
    for (const auto& entry : report.value("by_url", nlohmann::json::array())) {
      UrlStats u;
      u.url = entry.at("url").get<std::string>();
      u.responses = json_count_at(entry.at("requests"), "responses");
      read_counts(entry.at("requests"), entry.at("status_codes"), entry.at("errors"),
                  u.status_codes, u.errors, u.cancelled);
      u.latency_us = LatencyHistogram::from_json(entry.at("latency_histogram"));
      s.by_url.push_back(std::move(u));
    }
    s.interval_ms = json_count_or(report, "interval_ms", 1000);
    if (s.interval_ms == 0) throw std::invalid_argument("malformed report: interval_ms is 0");
    for (const auto& entry : report.value("intervals", nlohmann::json::array())) {
      IntervalStats interval;
      interval.responses = json_count_at(entry, "responses");
      interval.errors = json_count_at(entry, "errors");
      interval.scheduled = json_count_or(entry, "scheduled", 0);
      interval.latency_us = LatencyHistogram::from_json(entry.at("histogram"));
      interval.latency_us.compact();
      s.intervals.push_back(std::move(interval));
    }
    if (const auto rate = report.find("rate"); rate != report.end() && rate->is_object()) {
      s.target_rate = rate->at("requested_rps").get<double>();
      s.late_starts = json_count_or(*rate, "late_starts", 0);
      s.unsent = json_count_or(*rate, "unsent", 0);
      s.last_send_s = rate->value("last_send_s", 0.0);
      s.max_start_lag_us = json_count_or(*rate, "max_start_lag_us", 0);
      s.last_due_s = rate->value("last_due_s", 0.0);
      s.stages_s = rate->value("stages_s", 0.0);
    }
    if (const auto shard = report.find("shard"); shard != report.end() && shard->is_object()) {
      s.run_id = shard->value("run_id", "");
      // As --shard: more shards than kMaxShards is not a run (and a count near 2^32 would make
      // the list of missing ones billions long); checked before the narrowing to unsigned.
      const std::uint64_t count = json_count_or(*shard, "count", 0);
      if (count > kMaxShards) {
        throw std::invalid_argument("malformed report: shard.count " + std::to_string(count) +
                                    " is above " + std::to_string(kMaxShards));
      }
      s.shard_count = static_cast<unsigned>(count);
      s.start_late_us = json_count_or(*shard, "start_late_us", 0);
      for (const auto& entry : shard->value("shards", nlohmann::json::array())) {
        const std::uint64_t index = json_count(entry, "shard index");
        if (index >= kMaxShards) {
          throw std::invalid_argument("malformed report: shard index " + std::to_string(index) +
                                      " is not below " + std::to_string(kMaxShards));
        }
        s.shards.push_back(static_cast<unsigned>(index));
      }
    }
    target_from_json(report, s.target);
    return s;
  } catch (const nlohmann::json::exception& error) {
    throw std::invalid_argument(std::string("malformed report: ") + error.what());
  }
}

std::string render_json_report(const RunReport& report) {
  return report_to_json(report.stats, report.config, report.slos).dump(2) + "\n";
}

std::string render_talk_json(const TalkReport& talk) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& row : talk.rows) {
    nlohmann::json run = report_to_json(*row.stats, row.config);
    run["name"] = row.name;
    run["ideal_s"] = row.ideal_s;
    runs.push_back(std::move(run));
  }
  nlohmann::json document{{"schema", kTalkSchema}, {"base_url", talk.base_url}, {"runs", runs}};
  if (talk.capacity != nullptr && !talk.capacity->empty()) {
    document["capacity"] = nlohmann::json::array();
    for (const auto& search : *talk.capacity)
      document["capacity"].push_back(capacity_to_json(search));
  }
  return document.dump(2) + "\n";
}

}  // namespace loadlab::loadgen
