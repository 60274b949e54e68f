#include "server/handlers/health.h"

#include "server/loop_context.h"

namespace loadlab::server {

Reply LivenessHandler::handle(const Request&) {
  return Reply::answer(Response{200, "application/json", "{\"status\":\"ok\"}\n", {}});
}

Reply ReadinessHandler::handle(const Request&) {
  if (loop_.shared().draining.load(std::memory_order_relaxed)) {
    return Reply::answer(error_response(loop_, 503, "draining: the server is shutting down"));
  }
  return Reply::answer(Response{200, "application/json", "{\"status\":\"ready\"}\n", {}});
}

}  // namespace loadlab::server
