// What a run measured. Each engine thread fills its own RunStats; they merge at the end, and
// reports from several processes or machines merge the same way (lossless histograms).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/latency_histogram.h"
#include "loadgen/scrape/target_series.h"

namespace loadlab::loadgen {

// What the server (or the network) did wrong. A request still in flight when the grace after
// -d's deadline (or Ctrl-C) ran out is not among them: the loadgen cancelled it, the server did
// nothing wrong, so it is counted apart (RunStats::cancelled) and left out of the totals.
// Each kind names a fault a client author can reproduce (the server's /fault endpoints):
enum class ErrorKind : std::uint8_t {
  kConnect,    // refused, unreachable, or no connection within --connect-timeout
  kTimeout,    // no complete response within --timeout (a server that hangs)
  kReset,      // the connection was aborted (ECONNRESET: a TCP RST), or a read or write failed
  kClosed,     // the server closed the connection (FIN) before any byte of the response
  kTruncated,  // the server closed after the response began, before it ended (a body short of
               // its Content-Length, a chunked body without its last chunk, cut headers)
  kParse,      // bytes that are not an HTTP response
  // the TLS handshake or a TLS record failed (certificate verification, no common version, a
  // missing client certificate, an alert); RunStats::tls_failure says why.
  kTls,
  kCount
};
constexpr std::size_t kErrorKinds = static_cast<std::size_t>(ErrorKind::kCount);
const char* error_kind_name(ErrorKind kind);

// Timers tick in whole milliseconds, so a start up to a few ms after its slot is the schedule
// working as designed; later than this, the request waited for a free connection.
inline constexpr std::uint64_t kLateStartUs = 10'000;
// The per-URL breakdown keeps this many distinct URLs (templates, by text) in rows of their
// own; the rest of a long --urls-file shares one row named kOtherUrls. A row costs a histogram
// per thread, and a report with 20 000 rows is neither readable nor small.
inline constexpr std::size_t kMaxUrlRows = 100;
inline constexpr const char* kOtherUrls = "(other)";
// Distinct Server-Timing metric names recorded; further names are ignored.
inline constexpr std::size_t kMaxServerTimingMetrics = 32;

// One slice of the run's timeline (--interval, 1 s by default).
struct IntervalStats {
  std::uint64_t responses = 0;
  std::uint64_t errors = 0;
  std::uint64_t scheduled = 0;  // open loop: slots due in this interval (the requested rate)
  // Two significant digits, and compact once closed: a long run keeps one of these per second.
  LatencyHistogram latency_us{1, 3'600'000'000ULL, 2};
};

// One URL (template) of the request mix: what its own requests got.
struct UrlStats {
  std::string url;
  std::uint64_t responses = 0;
  std::map<int, std::uint64_t> status_codes;
  std::array<std::uint64_t, kErrorKinds> errors{};
  std::uint64_t cancelled = 0;  // not in total(), as for the whole run
  // Two significant digits, allocated on the first response: one per URL row per thread.
  LatencyHistogram latency_us{1, 3'600'000'000ULL, 2};

  std::uint64_t error_count() const;
  std::uint64_t total() const { return responses + error_count(); }
  void merge(const UrlStats& other);
};

struct RunStats {
  LatencyHistogram
      latency_us;  // every response, from its intended start (= service time in a closed loop)
  LatencyHistogram service_us;  // every response, from when it was actually sent
  std::map<int, std::uint64_t> status_codes;
  std::array<std::uint64_t, kErrorKinds> errors{};
  std::map<std::string, LatencyHistogram, std::less<>> server_timing_us;  // by metric name
  LatencyHistogram connect_us;  // every successful connect, from its start to established
  // The phases after it: every completed TLS handshake (from the TCP connect to its end), and
  // every response's wait for its first byte (from the request written to the first byte of
  // the answer, so that connect + TLS + first byte + the rest add up to the service time).
  LatencyHistogram tls_handshake_us;
  LatencyHistogram ttfb_us;
  std::vector<UrlStats> by_url;  // in the order of the run's URLs
  std::uint64_t responses = 0;
  // Still in flight when the grace ran out, and cancelled by the loadgen: neither a response
  // nor an error of the server, so not in total(), throughput() or the error rate.
  std::uint64_t cancelled = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t connections_opened = 0;
  // Requests sent on a kept-alive connection the server had just closed (its idle timeout and
  // the send crossed), resent once on a new connection; their latency counts from the first send.
  std::uint64_t retried_stale = 0;
  std::uint64_t tls_handshakes = 0;  // completed, resumed ones included
  std::uint64_t tls_resumed = 0;     // of which resumed a session (abbreviated handshakes)
  // The first TLS failure, in words (one message per run, not one per request).
  std::string tls_failure;
  double start_unix = 0;  // wall-clock seconds
  double end_unix = 0;
  std::uint64_t runs_merged = 1;
  std::uint64_t interval_ms = 1000;
  std::vector<IntervalStats> intervals;
  std::optional<double> target_rate;   // --rate, if it was an open-loop run
  std::uint64_t max_start_lag_us = 0;  // open loop: how late a request started at worst
  std::uint64_t late_starts =
      0;                     // open loop: requests that started > kLateStartUs after their slot
  double last_send_s = 0;    // open loop: when the last request went out, since the start
  std::uint64_t unsent = 0;  // open loop: due, still waiting for a connection when the run ended
  TargetScrape target;       // the target's own metrics, scraped during the run (--scrape)
  double last_due_s = 0;     // open loop: the latest slot a request was sent for, since the start
  double stages_s = 0;       // --stages: their length (the span the requested rate is over)
  // --start-at: how late this process was at the agreed instant (a merge: the latest shard).
  std::uint64_t start_late_us = 0;
  // Which run this is (--run-id) and, for a shard, which part of it (docs/loadgen.md, "Shards").
  std::string run_id;
  unsigned shard_count = 0;           // 0: not a sharded run
  std::vector<unsigned> shards;       // the shards this report holds (one, or a merge's)
  std::vector<std::string> warnings;  // said in every output (a partial merge, by whom)
  // Open loop: requests sent (after any settle, engine.h). Not in the JSON report; the capacity
  // search's offered rate counts it, since its responses include some sent during the settle.
  std::uint64_t sent = 0;
  // The engines' CPU time spent spinning for events instead of sleeping (--busy-poll-us): time
  // that would otherwise have been idle, which the capacity search's client-load check leaves
  // out. Not in the JSON report.
  std::uint64_t busy_poll_cpu_ns = 0;

  std::uint64_t error_count() const;
  std::uint64_t total() const { return responses + error_count(); }
  double duration_s() const { return end_unix > start_unix ? end_unix - start_unix : 0.0; }
  double throughput() const {
    return duration_s() > 0 ? static_cast<double>(total()) / duration_s() : 0.0;
  }

  void record_response(int status, std::uint64_t latency_us_value);
  void record_response(int status, std::uint64_t latency_us_value, std::uint64_t service_us_value,
                       std::uint64_t since_start_ns);
  void record_error(ErrorKind kind, std::uint64_t since_start_ns);
  IntervalStats& interval_at(std::uint64_t since_start_ns);
  // The span interval i covers: the whole interval, except the last, which ends with the run.
  double interval_length_s(std::size_t i) const;
  // Responses that land just after the end of a timed run would make a last interval of a few
  // milliseconds (and a fake dip or spike in req/s): fold such a fragment into the one before.
  void fold_trailing_fragment();
  void record_server_timing(std::string_view header);
  void record_error(ErrorKind kind) { ++errors[static_cast<std::size_t>(kind)]; }
  // The per-URL breakdown: `url` indexes by_url (set up with set_urls, one row per name).
  void set_urls(const std::vector<std::string>& urls);
  void record_url_response(std::size_t url, int status, std::uint64_t latency_us_value);
  void record_url_error(std::size_t url, ErrorKind kind) {
    ++by_url[url].errors[static_cast<std::size_t>(kind)];
  }
  void record_cancelled(std::size_t url) {
    ++cancelled;
    ++by_url[url].cancelled;
  }
  // Adds another run's measurements; the time span becomes the union of both. URL rows add up
  // by URL text; past kMaxUrlRows distinct URLs, new ones go to the kOtherUrls row.
  void merge(const RunStats& other);
  // Requests the per-URL rows account for; less than total() when a merged report had none.
  std::uint64_t by_url_total() const;

  // Open loop: did the run offer the load it was asked to?
  struct RateCheck {
    double requested = 0;
    double achieved = 0;
    // The rate of the slots sent, by the schedule alone (their due times, not when they went):
    // the arrival process the run asked for, whatever the machine's timing.
    double scheduled = 0;
    bool kept_up = true;
  };
  std::optional<RateCheck> rate_check() const;

 private:
  void merge_intervals(const RunStats& other);
  void merge_urls(const RunStats& other);
};

}  // namespace loadlab::loadgen
