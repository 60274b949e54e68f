#include "loadgen/load_plan.h"

namespace loadlab::loadgen {

LoadPlan::LoadPlan(const RunOptions& options) : options_(options) {
  for (const auto& url : options_.urls) {
    Target target = parse_target(url);
    UrlTemplate path(target.path_template);
    std::string tail = " HTTP/1.1\r\nHost: " + target.host_header + "\r\nUser-Agent: loadlab-loadgen/" LOADLAB_VERSION "\r\n";
    for (const auto& header : options_.headers) tail += header + "\r\n";
    if (!options_.body.empty()) tail += "Content-Length: " + std::to_string(options_.body.size()) + "\r\n";
    if (!options_.keepalive) tail += "Connection: close\r\n";
    tail += "\r\n" + options_.body;
    shapes_.push_back(RequestShape{std::move(target), std::move(path), options_.method + " ", std::move(tail)});
  }
}

void LoadPlan::start(std::uint64_t now_ns) {
  start_ns_ = now_ns;
  if (options_.duration_ms) deadline_ns_ = now_ns + *options_.duration_ms * 1'000'000;
}

bool LoadPlan::claim(std::uint64_t now_ns, std::uint64_t& index) {
  if (stopped_.load(std::memory_order_relaxed)) return false;
  if (options_.duration_ms && now_ns >= deadline_ns_) return false;
  index = next_index_.fetch_add(1, std::memory_order_relaxed);
  return !options_.requests || index < *options_.requests;
}

}  // namespace loadlab::loadgen
