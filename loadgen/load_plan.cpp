#include "loadgen/load_plan.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "common/tls_error.h"
#include "loadgen/run_stats.h"

namespace loadlab::loadgen {
namespace {

bool same_address(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  const std::size_t size = a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  return std::memcmp(&a, &b, size) == 0;
}

// Set-up errors (a missing --cacert file, a key that does not match) are the user's to fix:
// usage errors, before any traffic.
TlsContext make_client_context(const RunOptions& options) {
  TlsClientOptions tls;
  tls.verify = !options.insecure;
  tls.ca_file = options.cacert;
  tls.cert_file = options.cert;
  tls.key_file = options.key;
  tls.min_version = options.tls_min == "1.3" ? TlsVersion::k1_3 : TlsVersion::k1_2;
  tls.session_resumption = options.tls_resume;
  try {
    return TlsContext::client(tls);
  } catch (const TlsSetupError& error) {
    throw std::invalid_argument(error.what());
  }
}

// One round of a weighted round robin, interleaved: URL i's k-th turn sits at (k + 1/2) / w_i
// of the round, so weights 3 and 1 give a a b a rather than a a a b, and any stretch of the
// run holds close to the asked proportion.
std::vector<std::uint32_t> interleave(const std::vector<unsigned>& weights) {
  std::vector<std::pair<double, std::uint32_t>> turns;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    for (unsigned k = 0; k < weights[i]; ++k) {
      turns.emplace_back((k + 0.5) / weights[i], static_cast<std::uint32_t>(i));
    }
  }
  std::stable_sort(turns.begin(), turns.end());
  std::vector<std::uint32_t> mix;
  mix.reserve(turns.size());
  for (const auto& turn : turns) mix.push_back(turn.second);
  return mix;
}

}  // namespace

LoadPlan::LoadPlan(const RunOptions& options) : options_(options) {
  if (!options_.stages.empty()) {
    schedule_ = RateSchedule::staged(options_.stages);
  } else if (options_.rate) {
    schedule_ = RateSchedule::constant(*options_.rate);
  }
  if (options_.requests) shard_requests_ = share_of(*options_.requests, options_.shard);
  for (const char* method : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
    idempotent_ |= options_.method == method;
  for (const auto& url : options_.urls) {
    Target target = parse_target(url);
    UrlTemplate path(target.path_template);
    std::string tail = " HTTP/1.1\r\nHost: " + target.host_header +
                       "\r\nUser-Agent: loadlab-loadgen/" LOADLAB_VERSION "\r\n";
    for (const auto& header : options_.headers) tail += header + "\r\n";
    if (!options_.body.empty())
      tail += "Content-Length: " + std::to_string(options_.body.size()) + "\r\n";
    if (!options_.keepalive) tail += "Connection: close\r\n";
    tail += "\r\n" + options_.body;
    if (!shapes_.empty() && !same_address(target.address, shapes_.front().target.address)) {
      throw std::invalid_argument(
          "every URL must be on one host:port (one pool of connections carries the mix): '" + url +
          "' is not on " + shapes_.front().target.host_header +
          "; run one loadgen per host and merge their --json reports");
    }
    if (!shapes_.empty() && target.tls != shapes_.front().target.tls) {
      throw std::invalid_argument("every URL must use the same scheme (http:// or https://): '" +
                                  url + "' does not");
    }
    std::string head = options_.method + " ";
    std::string fixed;
    if (path.is_fixed()) {
      std::mt19937_64 unused;
      fixed = head;
      path.render(fixed, unused, 0);
      fixed += tail;
    }
    shapes_.push_back(RequestShape{std::move(target), std::move(path), std::move(head),
                                   std::move(tail), std::move(fixed)});
  }
  if (!shapes_.empty() && target().tls) tls_.emplace(make_client_context(options_));
  std::vector<unsigned> weights = options_.weights;
  weights.resize(shapes_.size(), 1);
  // The table is one round of the mix; its size is the sum of the weights.
  std::uint64_t total = 0;
  for (auto w : weights) total += w;
  if (total > 1'000'000)
    throw std::invalid_argument("the URLs' weights add up to more than 1000000");
  mix_ = interleave(weights);
  std::unordered_map<std::string_view, std::uint32_t> rows;
  std::uint32_t other = UINT32_MAX;
  for (const auto& url : options_.urls) {
    if (const auto found = rows.find(url); found != rows.end()) {
      row_of_shape_.push_back(found->second);
    } else if (rows.size() < kMaxUrlRows) {
      rows.emplace(url, static_cast<std::uint32_t>(url_rows_.size()));
      row_of_shape_.push_back(static_cast<std::uint32_t>(url_rows_.size()));
      url_rows_.push_back(url);
    } else {
      if (other == UINT32_MAX) {
        other = static_cast<std::uint32_t>(url_rows_.size());
        url_rows_.push_back(kOtherUrls);
      }
      row_of_shape_.push_back(other);
    }
  }
}

void LoadPlan::start(std::uint64_t origin_ns) {
  start_ns_ = origin_ns;
  if (options_.duration_ms) deadline_ns_ = origin_ns + *options_.duration_ms * 1'000'000;
}

bool LoadPlan::claim(std::uint64_t now_ns, std::uint64_t& index) {
  if (stopped_.load(std::memory_order_relaxed)) return false;
  if (options_.duration_ms && now_ns >= deadline_ns_) return false;
  const std::uint64_t local = next_index_.fetch_add(1, std::memory_order_relaxed);
  index = global_index(local, options_.shard);
  return !options_.requests || local < shard_requests_;
}

bool LoadPlan::slot_in_run(std::uint64_t slot, std::uint64_t due_ns) const {
  if (stopped_.load(std::memory_order_relaxed) || !slot_exists(slot, due_ns)) return false;
  return !options_.duration_ms || due_ns < *options_.duration_ms * 1'000'000;
}

}  // namespace loadlab::loadgen
