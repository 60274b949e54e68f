// Little's law from both ends of a run: the client's requests in flight are its rate of
// responses times their mean service time (from send to answer: an open loop's backlog, the
// wait before a request is sent, is not in it); the server's are what its in-flight gauge
// read, on average, while the run went. The two agree when the time a request is out is spent
// in the server's handling; the client's figure is higher when sent requests wait somewhere
// the server does not count them (the network, the kernels' buffers, the accept queue).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "loadgen/run_stats.h"

namespace loadlab::loadgen {

struct LittlesLaw {
  double client_rate = 0;       // responses per second
  double client_mean_s = 0;     // mean service time
  double client_in_flight = 0;  // their product
  double server_in_flight = 0;  // mean of the scraped gauge within the run
  std::size_t server_samples = 0;
  bool agree = true;
  std::string statement;  // in words, for the reports
};

// Differences up to this share of the larger figure (or under one request) count as agreeing:
// a gauge read once per interval is a sample, not an integral.
inline constexpr double kLittleTolerance = 0.25;

// nullopt when the run scraped no in-flight gauge or took no response.
std::optional<LittlesLaw> check_littles_law(const RunStats& stats);

}  // namespace loadlab::loadgen
