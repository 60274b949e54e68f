#include "server/response.h"

#include <gtest/gtest.h>

namespace loadlab::server {
namespace {

ResponseHead head_for(int status) {
  ResponseHead head;
  head.status = status;
  head.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  return head;
}

TEST(Response, StatusLineHeadersAndBody) {
  std::string out;
  append_response(out, head_for(200), "{}");
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nServer: loadlab\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
}

TEST(Response, ConnectionHeaderAndExtras) {
  std::string out;
  ResponseHead head = head_for(405);
  head.connection = ConnectionHeader::kClose;
  head.extra_headers = "Allow: GET, HEAD\r\n";
  append_response(out, head, "x");
  EXPECT_NE(out.find("HTTP/1.1 405 Method Not Allowed\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nConnection: close\r\nAllow: GET, HEAD\r\n\r\nx"), std::string::npos);

  out.clear();
  head.connection = ConnectionHeader::kKeepAlive;
  append_response(out, head, "x");
  EXPECT_NE(out.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
}

TEST(Response, HeadKeepsContentLengthButNoBody) {
  std::string out;
  ResponseHead head = head_for(200);
  head.head_only = true;
  append_response(out, head, "12345");
  EXPECT_NE(out.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

// RFC 9110 §8.6, §15.3.5, §15.4.5: no content, so no body and no Content-Length.
TEST(Response, NoContentStatusesHaveNoBodyNorContentLength) {
  for (const int status : {204, 304}) {
    std::string out;
    append_response(out, head_for(status), "{\"x\":1}");
    EXPECT_EQ(out.find("Content-Length"), std::string::npos) << out;
    EXPECT_EQ(out.find("Content-Type"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("GMT\r\n\r\n")) << out;
  }
  std::string out;
  append_response(out, head_for(205), "");
  EXPECT_NE(out.find("HTTP/1.1 205 Reset Content\r\n"), std::string::npos);
  EXPECT_NE(out.find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(Response, EveryStatusAClientMayAskForHasAReasonPhrase) {
  for (const int status : {201, 204, 301, 302, 304, 307, 401, 403, 418, 429, 503}) {
    EXPECT_NE(reason_phrase(status), "Unknown") << status;
  }
}

TEST(Response, AppendsIntoExistingBuffer) {
  std::string out = "previous";
  append_response(out, head_for(404), "");
  EXPECT_TRUE(out.starts_with("previousHTTP/1.1 404 Not Found\r\n"));
}

TEST(Response, Millis) {
  std::string out;
  append_millis(out, 100'196'400);
  EXPECT_EQ(out, "100.196");
  out.clear();
  append_millis(out, 999);
  EXPECT_EQ(out, "0.001");
  out.clear();
  append_millis(out, 0);
  EXPECT_EQ(out, "0.000");
}

TEST(Response, ErrorBodyIsEscapedJson) {
  std::string out;
  append_error_body(out, 400, "bad \"number\"\n");
  EXPECT_EQ(out,
            "{\"error\":{\"status\":400,\"reason\":\"Bad Request\",\"message\":\"bad "
            "\\\"number\\\"\\n\"}}\n");
}

}  // namespace
}  // namespace loadlab::server
