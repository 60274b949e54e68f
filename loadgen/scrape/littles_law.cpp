#include "loadgen/scrape/littles_law.h"

#include <cmath>
#include <cstdio>
#include <set>

namespace loadlab::loadgen {
namespace {

std::string figure(double value) {
  char text[32];
  std::snprintf(text, sizeof text, value < 10 ? "%.2f" : "%.1f", value);
  return text;
}

}  // namespace

std::optional<LittlesLaw> check_littles_law(const RunStats& s) {
  const LatencyHistogram& h = s.service_us.count() ? s.service_us : s.latency_us;
  if (h.count() == 0 || s.duration_s() <= 0) return std::nullopt;
  LittlesLaw law;
  // The rate of the requests the mean is over: responses (an error has no service time).
  law.client_rate = static_cast<double>(s.responses) / s.duration_s();
  law.client_mean_s = h.mean() / 1e6;
  law.client_in_flight = law.client_rate * law.client_mean_s;
  // One figure per server: the first source of each URL (shards that scraped the same server
  // saw the same gauge), summed over different servers.
  std::set<std::string> seen;
  bool any = false;
  for (const ScrapeSource& source : s.target.sources) {
    if (!seen.insert(source.url).second) continue;
    const ScrapedSeries* series = source.find(kSeriesInFlight);
    if (series == nullptr) continue;
    const double offset = source.start_unix > 0 ? source.start_unix - s.start_unix : 0;
    double sum = 0;
    std::size_t n = 0;
    for (const auto& [t, value] : series->points) {
      if (t + offset > s.duration_s() || t + offset < 0) continue;  // the reading after the end
      sum += value;
      ++n;
    }
    if (n == 0) continue;
    any = true;
    law.server_in_flight += sum / static_cast<double>(n);
    law.server_samples += n;
  }
  if (!any) return std::nullopt;
  const double client = law.client_in_flight, server = law.server_in_flight;
  const double gap = client - server;
  law.agree = std::abs(gap) < 1.0 || std::abs(gap) <= kLittleTolerance * std::max(client, server);
  const std::string both =
      "the client kept " + figure(client) + " requests in flight (" + figure(law.client_rate) +
      " req/s x " + figure(law.client_mean_s * 1000) + " ms mean), the server counted " +
      figure(server) + " on average (" + std::to_string(law.server_samples) + " scrapes)";
  if (law.server_samples < 2) {
    law.agree = true;
    law.statement = "Little's law: " + both + "; too few scrapes to compare (run longer)";
  } else if (law.agree) {
    law.statement = "Little's law agrees: " + both;
  } else if (gap > 0) {
    law.statement = "Little's law disagrees: " + both + ". About " + figure(gap) + " requests (" +
                    figure(100 * gap / client) +
                    "%) of the client's were between being sent and the server's handling: in "
                    "the network, the kernels' buffers or the server's accept queue";
  } else {
    law.statement = "Little's law disagrees: " + both +
                    ". The server held more than this client sent: other clients load it too, "
                    "or the scrapes caught unusual moments";
  }
  return law;
}

}  // namespace loadlab::loadgen
