#include "loadgen/capacity_step.h"

#include <cstdio>

#include "loadgen/format.h"

namespace loadlab::loadgen {
namespace {

// The objectives judged on what the target alone did: latency from each request's actual send
// (not from its slot, whose wait for a connection is the loadgen's), errors, and the server's
// own Server-Timing phases. When the loadgen fell behind, a breach of these is still the
// target's: it broke the objective at a load lower than asked.
bool target_broke_one(const std::vector<Slo>& slos, const RunStats& stats, bool trust_latency) {
  RunStats served = stats;
  served.latency_us = stats.service_us;
  for (const SloResult& result : evaluate_slos(slos, served)) {
    const bool client_latency = result.slo.phase.empty() &&
                                result.slo.metric != Slo::Metric::kErrorPercent &&
                                result.slo.metric != Slo::Metric::kRps;
    if (!result.passed && (trust_latency || !client_latency)) return true;
  }
  return false;
}

std::string behind_reason(const RunStats& stats, const ClientLoad& client, double asked,
                          double offered, bool busy) {
  char text[320];
  if (busy) {
    std::snprintf(text, sizeof text,
                  "the loadgen's own CPU was busy (%.0f%% of %u engine thread%s): raise -t, or "
                  "run it on more cores or machines",
                  100.0 * client.cpu_cores / client.threads, client.threads,
                  client.threads == 1 ? "" : "s");
    return text;
  }
  const double mean_service_s = stats.service_us.mean() / 1e6;
  const double carried = mean_service_s > 0 ? client.connections / mean_service_s : 0;
  if (carried > 0 && carried < asked * 1.1) {
    std::snprintf(text, sizeof text,
                  "offered %.1f of %.1f req/s (%llu due never sent): -c %u connections carry at "
                  "most ~%.0f req/s at a mean service time of %s; raise -c",
                  offered, asked, static_cast<unsigned long long>(stats.unsent), client.connections,
                  carried, format_duration_us(stats.service_us.mean()).c_str());
    return text;
  }
  std::snprintf(text, sizeof text, "offered %.1f of %.1f req/s (%llu due never sent)", offered,
                asked, static_cast<unsigned long long>(stats.unsent));
  return text;
}

}  // namespace

StepJudgement judge_step(const std::vector<Slo>& slos, const RunStats& stats,
                         const ClientLoad& client) {
  StepJudgement j;
  j.slos = evaluate_slos(slos, stats);
  const double asked = stats.target_rate.value_or(0);
  // The rate requests went out at: those sent after the settle over the step's length. Late
  // sends still count (their latency, from the slot, already shows the delay); what is never
  // sent does not. Responses are no measure of it: some after the settle answer requests sent
  // during it.
  const double sending_s = client.step_s > 0                    ? client.step_s
                           : stats.last_send_s > 0 && asked > 0 ? stats.last_send_s + 1.0 / asked
                                                                : stats.duration_s();
  const auto sent = static_cast<double>(stats.sent > 0 ? stats.sent : stats.total());
  j.offered_rate = sending_s > 0 ? sent / sending_s : 0;
  // Short of the asked rate by more than the count's own granularity (a request or two of a
  // short step), or requests due that never went out.
  j.behind = stats.unsent > 0 || (j.offered_rate < kMinOfferedShare * asked &&
                                  (asked - j.offered_rate) * sending_s > kShortfallSlack);
  j.busy = client.cpu_cores >= kBusyCpuShare * client.threads;
  if (stats.responses == 0 && stats.connect_us.count() == 0) {
    j.verdict = StepVerdict::kAborted;
    j.why = "no connection could be made to the target";
    return j;
  }
  if (!j.behind && !j.busy) {
    j.verdict = all_passed(j.slos) ? StepVerdict::kPass : StepVerdict::kFail;
    return j;
  }
  // The loadgen fell short: a pass would be at a load never offered, and a latency breach may
  // be its own wait. Only a breach the target is answerable for still counts.
  if (target_broke_one(slos, stats, !j.busy)) {
    j.verdict = StepVerdict::kFail;
    return j;
  }
  j.verdict = StepVerdict::kClientLimited;
  j.why = behind_reason(stats, client, asked, j.offered_rate, j.busy);
  return j;
}

}  // namespace loadlab::loadgen
