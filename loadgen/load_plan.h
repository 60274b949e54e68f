// The shared, read-mostly description of one run: targets, request templates, and the
// budget every engine thread claims requests from.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/tls_context.h"
#include "loadgen/options.h"
#include "loadgen/stages.h"
#include "loadgen/target.h"
#include "loadgen/url_template.h"

namespace loadlab::loadgen {

struct RequestShape {
  Target target;
  UrlTemplate path;
  std::string head;   // "METHOD " before the path
  std::string tail;   // " HTTP/1.1\r\nHost: ...\r\n...\r\n\r\n<body>" after it
  std::string fixed;  // head + path + tail, when the path has no placeholder: sent as it is
};

class LoadPlan {
 public:
  // Throws std::invalid_argument for bad URLs or templates, URLs on different host:ports or
  // schemes, or TLS files that cannot be used (--cacert, --cert, --key).
  explicit LoadPlan(const RunOptions& options);

  const RunOptions& options() const { return options_; }
  const std::vector<RequestShape>& shapes() const { return shapes_; }
  // Every URL's host:port: one pool of connections carries them all.
  const Target& target() const { return shapes_.front().target; }
  // https://: the run's one TLS configuration, shared by every engine thread; null for http://.
  const TlsContext* tls() const { return tls_ ? &*tls_ : nullptr; }
  // The URL request `index` takes: the mix follows the request count, never the response times
  // (a connection bound to a URL would send more of whatever answers faster).
  std::size_t shape_index(std::uint64_t index) const { return mix_[index % mix_.size()]; }
  bool head_requests() const { return options_.method == "HEAD"; }
  // RFC 9110 §9.2.2: a request the server may get twice without harm. Only such a request is
  // resent when a reused connection turns out to have been closed under it (RFC 9112 §9.3.1).
  bool idempotent() const { return idempotent_; }
  // The per-URL breakdown's rows: the first kMaxUrlRows distinct URLs (by text), then one
  // kOtherUrls row for the rest, if any. url_row(shape) is the row a URL's requests count in.
  const std::vector<std::string>& url_rows() const { return url_rows_; }
  std::size_t url_row(std::size_t shape) const { return row_of_shape_[shape]; }

  // This process's part of the run (--shard): request numbers, slots and shares.
  ShardSpec shard() const { return options_.shard; }
  bool open_loop() const { return loadgen::open_loop(options_); }
  // Open loop: when each slot of the whole run is due (a shard takes every N-th).
  const RateSchedule& schedule() const { return schedule_; }

  // Sets the schedule's origin and the deadline of a duration run; call right before the
  // engines start (with --start-at, the agreed instant, which may have passed).
  void start(std::uint64_t origin_ns);
  std::uint64_t start_ns() const { return start_ns_; }
  // Closed loop: claims the next request of this shard's budget and gives its number in the
  // run; false when the run is over. Thread-safe.
  bool claim(std::uint64_t now_ns, std::uint64_t& index);
  // Open loop: whether slot `slot` of the run (due `due_ns` after the start, or
  // RateSchedule::kNever) is part of it: within -n or the stages.
  bool slot_exists(std::uint64_t slot, std::uint64_t due_ns) const {
    return due_ns != RateSchedule::kNever && (!options_.requests || slot < *options_.requests);
  }
  // ... and is to be sent now: before the -d deadline, not stopped. Thread-safe.
  bool slot_in_run(std::uint64_t slot, std::uint64_t due_ns) const;
  // Stops handing out requests (Ctrl-C, or a caller that has seen enough). Thread-safe.
  void stop() { stopped_.store(true, std::memory_order_relaxed); }
  // The run ended before its budget of requests did: stopped, or its duration is over.
  bool cut_short(std::uint64_t now_ns) const {
    return stopped_.load(std::memory_order_relaxed) ||
           (options_.duration_ms && now_ns >= deadline_ns_);
  }

 private:
  RunOptions options_;
  std::vector<RequestShape> shapes_;
  std::optional<TlsContext> tls_;
  bool idempotent_ = false;
  std::vector<std::uint32_t> mix_;  // one round of the weighted round robin, interleaved
  std::vector<std::string> url_rows_;
  std::vector<std::uint32_t> row_of_shape_;
  RateSchedule schedule_;
  std::uint64_t shard_requests_ = 0;  // -n: this shard's share
  std::atomic<std::uint64_t> next_index_{0};
  std::atomic<bool> stopped_{false};
  std::uint64_t start_ns_ = 0;
  std::uint64_t deadline_ns_ = 0;
};

}  // namespace loadlab::loadgen
