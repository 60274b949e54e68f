#include "server/handlers/handler.h"

#include "server/loop_context.h"
#include "server/response.h"

namespace loadlab::server {

Response error_response(LoopContext& loop, int status, std::string_view message,
                        std::string_view allow) {
  std::string& body = loop.body_scratch();
  body.clear();
  append_error_body(body, status, message);
  std::string& headers = loop.header_scratch();
  headers.clear();
  if (!allow.empty()) headers.append("Allow: ").append(allow).append("\r\n");
  if (status == 503) headers.append("Retry-After: 1\r\n");
  return Response{status, "application/json", body, headers};
}

}  // namespace loadlab::server
