#include "loadgen/live_metrics.h"

#include <algorithm>
#include <charconv>

namespace loadlab::loadgen {
namespace {

void help(std::string& out, const char* name, const char* type, const char* text) {
  out.append("# HELP ").append(name).append(" ").append(text);
  out.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void number(std::string& out, double value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  out.append(text, end);
}

void number(std::string& out, std::uint64_t value) {
  char text[24];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  out.append(text, end);
}

template <typename Value>
void sample(std::string& out, const char* name, Value value) {
  out.append(name).append(" ");
  number(out, value);
  out.append("\n");
}

template <typename Read>
std::uint64_t total(std::span<const LiveMetrics* const> engines, Read read) {
  std::uint64_t sum = 0;
  for (const LiveMetrics* m : engines) sum += read(*m);
  return sum;
}

}  // namespace

void LiveMetrics::on_response(std::uint64_t latency_us) {
  responses.add();
  const auto bucket = std::lower_bound(kLiveBucketsUs.begin(), kLiveBucketsUs.end(), latency_us);
  latency_buckets[static_cast<std::size_t>(bucket - kLiveBucketsUs.begin())].add();
  latency_sum_us.add(latency_us);
}

void render_live_metrics(std::string& out, std::span<const LiveMetrics* const> engines,
                         const LiveRun& run) {
  const std::uint64_t responses =
      total(engines, [](const LiveMetrics& m) { return m.responses.get(); });
  std::uint64_t errors = 0;
  help(out, "loadlab_loadgen_errors_total", "counter",
       "Requests that failed, by kind (connect, timeout, reset, closed, truncated, parse, tls).");
  for (std::size_t kind = 0; kind < kErrorKinds; ++kind) {
    const std::uint64_t count =
        total(engines, [kind](const LiveMetrics& m) { return m.errors[kind].get(); });
    errors += count;
    out.append("loadlab_loadgen_errors_total{kind=\"")
        .append(error_kind_name(static_cast<ErrorKind>(kind)))
        .append("\"} ");
    number(out, count);
    out.append("\n");
  }
  const std::uint64_t started =
      total(engines, [](const LiveMetrics& m) { return m.started.get(); });
  const std::uint64_t cancelled =
      total(engines, [](const LiveMetrics& m) { return m.cancelled.get(); });
  const std::uint64_t ended = responses + errors + cancelled;

  help(out, "loadlab_loadgen_requests_total", "counter",
       "Requests completed: responses and errors (cancelled ones apart).");
  sample(out, "loadlab_loadgen_requests_total", responses + errors);
  help(out, "loadlab_loadgen_responses_total", "counter", "Complete responses, any status.");
  sample(out, "loadlab_loadgen_responses_total", responses);
  help(out, "loadlab_loadgen_cancelled_total", "counter",
       "Requests in flight when the grace ran out, cancelled by the loadgen.");
  sample(out, "loadlab_loadgen_cancelled_total", cancelled);
  help(out, "loadlab_loadgen_requests_in_flight", "gauge",
       "Requests sent (or connecting) and not yet answered.");
  sample(out, "loadlab_loadgen_requests_in_flight", started > ended ? started - ended : 0);
  help(out, "loadlab_loadgen_achieved_rps", "gauge",
       "Requests completed per second since the start of the run.");
  sample(out, "loadlab_loadgen_achieved_rps",
         run.elapsed_s > 0 ? static_cast<double>(responses + errors) / run.elapsed_s : 0.0);
  if (run.target_rate) {
    help(out, "loadlab_loadgen_target_rps", "gauge", "The open loop's --rate.");
    sample(out, "loadlab_loadgen_target_rps", *run.target_rate);
  }
  help(out, "loadlab_loadgen_elapsed_seconds", "gauge", "Seconds since the start of the run.");
  sample(out, "loadlab_loadgen_elapsed_seconds", run.elapsed_s);
  help(out, "loadlab_loadgen_running", "gauge", "1 while the run sends requests, else 0.");
  sample(out, "loadlab_loadgen_running", std::uint64_t{run.running ? 1u : 0u});
  help(out, "loadlab_loadgen_unsent_backlog", "gauge",
       "Open loop: requests due and still waiting for a free connection.");
  sample(out, "loadlab_loadgen_unsent_backlog",
         total(engines, [](const LiveMetrics& m) { return m.backlog.get(); }));
  help(out, "loadlab_loadgen_unsent_total", "counter",
       "Open loop: requests due and never sent (the backlog at the end, or past its bound).");
  sample(out, "loadlab_loadgen_unsent_total",
         total(engines, [](const LiveMetrics& m) { return m.unsent.get(); }));

  help(out, "loadlab_loadgen_latency_seconds", "histogram",
       "Response latency (from the scheduled start in an open loop), classic cumulative buckets.");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b <= kLiveBucketsUs.size(); ++b) {
    cumulative += total(engines, [b](const LiveMetrics& m) { return m.latency_buckets[b].get(); });
    out.append("loadlab_loadgen_latency_seconds_bucket{le=\"");
    if (b < kLiveBucketsUs.size()) {
      number(out, static_cast<double>(kLiveBucketsUs[b]) / 1e6);
    } else {
      out.append("+Inf");
    }
    out.append("\"} ");
    number(out, cumulative);
    out.append("\n");
  }
  sample(out, "loadlab_loadgen_latency_seconds_sum",
         static_cast<double>(
             total(engines, [](const LiveMetrics& m) { return m.latency_sum_us.get(); })) /
             1e6);
  sample(out, "loadlab_loadgen_latency_seconds_count", cumulative);
}

}  // namespace loadlab::loadgen
