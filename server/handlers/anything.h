// /anything[/...], any method: echoes what the server received (method, target, path, query,
// header fields, body length) as JSON, so a client author can see what their client sent.
#pragma once

#include <string_view>

#include "server/handlers/handler.h"

namespace loadlab::server {

// The route table's parser for /anything: the query may hold any names; only a malformed
// percent-escape is refused.
RouteResult parse_anything_route(std::string_view rest, std::string_view query,
                                 const RouterLimits& limits);

class AnythingHandler final : public Handler {
 public:
  explicit AnythingHandler(LoopContext& loop) : loop_(loop) {}
  Reply handle(const Request& request) override;
  void cancel(ExchangeRef, std::uint32_t) override {}

 private:
  LoopContext& loop_;
};

}  // namespace loadlab::server
