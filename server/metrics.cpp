#include "server/metrics.h"

#include <algorithm>

#include "server/response.h"

namespace loadlab::server {
namespace {

std::size_t status_slot(int status) {
  const auto it = std::find(kTrackedStatuses.begin(), kTrackedStatuses.end(), status);
  return static_cast<std::size_t>(it - kTrackedStatuses.begin());  // == size() for "other"
}

template <typename Read>
std::uint64_t sum_loops(const std::vector<std::unique_ptr<LoopMetrics>>& loops, Read read) {
  std::uint64_t total = 0;
  for (const auto& loop : loops) total += static_cast<std::uint64_t>(read(*loop));
  return total;
}

void append_double(std::string& out, double value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  out.append(text, end);
}

}  // namespace

void append_help(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ")
      .append(name)
      .append(" ")
      .append(help)
      .append("\n# TYPE ")
      .append(name)
      .append(" ")
      .append(type)
      .append("\n");
}

void append_sample(std::string& out, const char* name, std::uint64_t value) {
  out.append(name).append(" ");
  append_uint(out, value);
  out.append("\n");
}

void LoopMetrics::record_response(RouteKind route, int status, std::uint64_t duration_ns) {
  const auto r = static_cast<std::size_t>(route);
  requests[r][status_slot(status)].add();
  const double seconds = static_cast<double>(duration_ns) / 1e9;
  const auto bucket = std::lower_bound(kDurationBuckets.begin(), kDurationBuckets.end(), seconds);
  duration_buckets[r][static_cast<std::size_t>(bucket - kDurationBuckets.begin())].add();
  duration_sum_us[r].add(duration_ns / 1000);
}

MetricsRegistry::MetricsRegistry(unsigned loops, bool tls) : tls_(tls) {
  for (unsigned i = 0; i < loops; ++i) loops_.push_back(std::make_unique<LoopMetrics>());
}

void MetricsRegistry::render(std::string& out) const {
  append_help(out, "loadlab_http_requests_total", "counter",
              "Responses sent, by route and status code.");
  for (std::size_t r = 0; r < kRouteKinds; ++r) {
    for (std::size_t s = 0; s < kStatusSlots; ++s) {
      const auto count =
          sum_loops(loops_, [&](const LoopMetrics& m) { return m.requests[r][s].get(); });
      if (count == 0) continue;
      out.append("loadlab_http_requests_total{route=\"")
          .append(route_name(static_cast<RouteKind>(r)))
          .append("\",code=\"");
      if (s < kTrackedStatuses.size()) {
        append_uint(out, static_cast<std::uint64_t>(kTrackedStatuses[s]));
      } else {
        out.append("other");
      }
      out.append("\"} ");
      append_uint(out, count);
      out.append("\n");
    }
  }

  append_help(out, "loadlab_http_request_duration_seconds", "histogram",
              "Time from a request's last byte to its response being written, by route.");
  for (std::size_t r = 0; r < kRouteKinds; ++r) {
    const std::string_view route = route_name(static_cast<RouteKind>(r));
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kDurationBuckets.size(); ++b) {
      cumulative +=
          sum_loops(loops_, [&](const LoopMetrics& m) { return m.duration_buckets[r][b].get(); });
      out.append("loadlab_http_request_duration_seconds_bucket{route=\"")
          .append(route)
          .append("\",le=\"");
      if (b < kDurationBuckets.size()) {
        append_double(out, kDurationBuckets[b]);
      } else {
        out.append("+Inf");
      }
      out.append("\"} ");
      append_uint(out, cumulative);
      out.append("\n");
    }
    const auto sum_us =
        sum_loops(loops_, [&](const LoopMetrics& m) { return m.duration_sum_us[r].get(); });
    out.append("loadlab_http_request_duration_seconds_sum{route=\"").append(route).append("\"} ");
    append_double(out, static_cast<double>(sum_us) / 1e6);
    out.append("\nloadlab_http_request_duration_seconds_count{route=\"")
        .append(route)
        .append("\"} ");
    append_uint(out, cumulative);
    out.append("\n");
  }

  append_help(out, "loadlab_http_requests_in_flight", "gauge",
              "Requests received and not yet answered.");
  append_sample(out, "loadlab_http_requests_in_flight",
                sum_loops(loops_, [](const LoopMetrics& m) { return m.in_flight.get(); }));
  append_help(out, "loadlab_open_connections", "gauge", "Client connections currently open.");
  append_sample(out, "loadlab_open_connections",
                sum_loops(loops_, [](const LoopMetrics& m) { return m.open_connections.get(); }));
  append_help(out, "loadlab_queued_response_bytes", "gauge",
              "Bytes of responses queued in the server, not yet taken by the kernel "
              "(--max-queued-response-bytes per connection).");
  append_sample(out, "loadlab_queued_response_bytes", sum_loops(loops_, [](const LoopMetrics& m) {
                  return m.queued_response_bytes.get();
                }));
  append_help(out, "loadlab_connections_accepted_total", "counter", "Client connections accepted.");
  append_sample(out, "loadlab_connections_accepted_total",
                sum_loops(loops_, [](const LoopMetrics& m) { return m.accepted.get(); }));
  append_help(out, "loadlab_connections_refused_total", "counter",
              "Connections closed at once: over --max-connections or accept() failed.");
  append_sample(out, "loadlab_connections_refused_total",
                sum_loops(loops_, [](const LoopMetrics& m) { return m.refused.get(); }));
  append_help(out, "loadlab_header_timeouts_total", "counter",
              "Connections cut off by --header-timeout-ms (408).");
  append_sample(out, "loadlab_header_timeouts_total",
                sum_loops(loops_, [](const LoopMetrics& m) { return m.header_timeouts.get(); }));
  append_help(
      out, "loadlab_idle_timeouts_total", "counter",
      "Connections closed by --keepalive-timeout-ms: idle, or not reading their responses.");
  append_sample(out, "loadlab_idle_timeouts_total",
                sum_loops(loops_, [](const LoopMetrics& m) { return m.idle_timeouts.get(); }));
  append_help(out, "loadlab_parse_errors_total", "counter",
              "Requests rejected as malformed or over a limit.");
  append_sample(out, "loadlab_parse_errors_total",
                sum_loops(loops_, [](const LoopMetrics& m) { return m.parse_errors.get(); }));

  if (tls_) {
    append_help(out, "loadlab_tls_handshakes_total", "counter",
                "TLS handshakes completed on the HTTPS port, by negotiated version.");
    for (std::size_t v = 0; v < kTlsVersions.size(); ++v) {
      out.append("loadlab_tls_handshakes_total{version=\"").append(kTlsVersions[v]).append("\"} ");
      append_uint(
          out, sum_loops(loops_, [&](const LoopMetrics& m) { return m.tls_handshakes[v].get(); }));
      out.append("\n");
    }
    append_help(out, "loadlab_tls_handshake_failures_total", "counter",
                "TLS handshakes that failed, by reason (plain_http: answered with a 400).");
    for (std::size_t r = 0; r < kTlsFailureReasons.size(); ++r) {
      out.append("loadlab_tls_handshake_failures_total{reason=\"")
          .append(kTlsFailureReasons[r])
          .append("\"} ");
      append_uint(out, sum_loops(loops_, [&](const LoopMetrics& m) {
                    return m.tls_handshake_failures[r].get();
                  }));
      out.append("\n");
    }
  }

  append_help(out, "loadlab_faults_total", "counter",
              "Faults served by /fault/<kind>: resets, closes, truncations, hangs, garbage, "
              "slow headers.");
  for (std::size_t kind = 0; kind < kFaultKinds; ++kind) {
    std::string name = "loadlab_faults_total{kind=\"";
    name.append(kFaultNames[kind]).append("\"}");
    append_sample(out, name.c_str(),
                  sum_loops(loops_, [kind](const LoopMetrics& m) { return m.faults[kind].get(); }));
  }

  for (const MetricsSource* source : sources_) source->append_prometheus(out);
}

}  // namespace loadlab::server
