#include "server/handlers/metrics.h"

#include "server/loop_context.h"

namespace loadlab::server {

Reply MetricsHandler::handle(const Request&) {
  std::string& body = loop_.body_scratch();
  body.clear();
  loop_.shared().metrics.render(body);
  return Reply::answer(Response{200, "text/plain; version=0.0.4; charset=utf-8", body, {}});
}

}  // namespace loadlab::server
