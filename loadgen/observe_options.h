// The flags of what watches a run from beside it: the target's metrics (--scrape) and the
// loadgen's own live endpoint (--metrics-listen). See docs/loadgen.md.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace loadlab::loadgen {

struct ObserveOptions {
  std::string scrape_url;  // empty: the target's /metrics when it is loadlab-server
  bool scrape = true;      // --no-scrape: false
  std::vector<std::string> scrape_series;
  std::string metrics_listen;  // empty: no live endpoint
};

void add_observe_options(CLI::App& app, ObserveOptions& options);

}  // namespace loadlab::loadgen
