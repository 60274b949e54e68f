#include "loadgen/observe_options.h"

#include "loadgen/off_flag.h"

namespace loadlab::loadgen {

void add_observe_options(CLI::App& app, ObserveOptions& o) {
  app.add_option("--scrape", o.scrape_url,
                 "Read this Prometheus endpoint (http://) every interval during the run; default: "
                 "the target's /metrics when its Server header says loadlab")
      ->envname("LOADLAB_SCRAPE");
  add_off_flag(app, "--no-scrape", o.scrape, "Do not read the target's metrics",
               "LOADLAB_NO_SCRAPE");
  app.add_option("--scrape-series", o.scrape_series,
                 "Also record this metric of the scraped endpoint (summed over its labels; a "
                 "counter as a rate); repeatable")
      ->allow_extra_args(false);
  app.add_option("--metrics-listen", o.metrics_listen,
                 "Serve the loadgen's own Prometheus metrics at http://ADDRESS/metrics during "
                 "the run: PORT (on 127.0.0.1) or IP:PORT; port 0 picks one")
      ->envname("LOADLAB_METRICS_LISTEN");
}

}  // namespace loadlab::loadgen
