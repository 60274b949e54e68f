#include "common/http_response_parser.h"

#include <gtest/gtest.h>

namespace loadlab {
namespace {

using Result = HttpResponseParser::Result;

Result feed_all(HttpResponseParser& parser, const std::string& bytes, std::size_t& consumed) {
  return parser.feed(bytes.data(), bytes.size(), consumed);
}

TEST(HttpResponseParser, ContentLengthAndServerTiming) {
  HttpResponseParser parser;
  parser.expect_response(false);
  std::size_t consumed = 0;
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nserver-timing: delay;dur=12.5\r\n\r\nhello";
  EXPECT_EQ(feed_all(parser, response.substr(0, 20), consumed), Result::kNeedMore);
  EXPECT_EQ(feed_all(parser, response.substr(20), consumed), Result::kComplete);
  EXPECT_EQ(parser.status(), 200);
  EXPECT_TRUE(parser.keep_alive());
  EXPECT_EQ(parser.body_bytes(), 5u);
  EXPECT_EQ(parser.server_timing(), "delay;dur=12.5");
}

// Only a Server-Timing header's value is kept (the parser asks llhttp for header values only
// while in one): repeated ones combine, an empty one adds nothing, values split over reads
// join, and the headers around them stay out, whatever byte a read ends at.
TEST(HttpResponseParser, OnlyServerTimingValuesAreKeptAtEverySplit) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nServer-Timing: a;dur=1\r\nX-Other: nope\r\nServer-Timing:\r\n"
      "Date: never\r\nSERVER-TIMING: b;dur=2\r\nServer-Timings: no\r\nContent-Length: 2\r\n"
      "\r\nok";
  for (std::size_t split = 1; split < response.size(); ++split) {
    HttpResponseParser parser;
    parser.expect_response(false);
    std::size_t consumed = 0;
    EXPECT_EQ(feed_all(parser, response.substr(0, split), consumed), Result::kNeedMore);
    EXPECT_EQ(feed_all(parser, response.substr(split), consumed), Result::kComplete);
    EXPECT_EQ(parser.server_timing(), "a;dur=1, b;dur=2") << "split at " << split;
    // The next response on the same parser starts afresh.
    parser.expect_response(false);
    const std::string next = "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n";
    EXPECT_EQ(feed_all(parser, next, consumed), Result::kComplete);
    EXPECT_EQ(parser.server_timing(), "");
  }
}

TEST(HttpResponseParser, ChunkedAndStopsAtTheEndOfOneResponse) {
  HttpResponseParser parser;
  parser.expect_response(false);
  std::size_t consumed = 0;
  const std::string first =
      "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  EXPECT_EQ(feed_all(parser, first + "HTTP/1.1 200 OK\r\n", consumed), Result::kComplete);
  EXPECT_EQ(consumed, first.size());
  EXPECT_EQ(parser.status(), 503);
}

// Found by response_parser_fuzz: llhttp takes "HTTP/1.1 20 6K" as status 20, and the report
// then counted a status no server can send (RFC 9110 §15: three digits, 100..599 and the
// 600..999 some use internally). Such a response is an error, not a status.
TEST(HttpResponseParser, AStatusCodeBelow100IsAnError) {
  for (const std::string status_line :
       {"HTTP/1.1 20 6K\r\n", "HTTP/1.1 020 OK\r\n", "HTTP/1.1 0 OK\r\n"}) {
    HttpResponseParser parser;
    parser.expect_response(false);
    std::size_t consumed = 0;
    const Result result = feed_all(parser, status_line + "Content-Length: 0\r\n\r\n", consumed);
    EXPECT_EQ(result, Result::kError) << status_line << parser.status();
    EXPECT_NE(parser.error().find("status"), std::string::npos) << parser.error();
    parser.expect_response(false);
    EXPECT_EQ(feed_all(parser, status_line + "\r\nbody until close", consumed), Result::kError)
        << status_line;
  }
}

TEST(HttpResponseParser, CloseDelimitedBodyEndsAtEof) {
  HttpResponseParser parser;
  parser.expect_response(false);
  std::size_t consumed = 0;
  EXPECT_EQ(feed_all(parser, "HTTP/1.0 200 OK\r\n\r\nsome body", consumed), Result::kNeedMore);
  EXPECT_EQ(parser.finish(), Result::kComplete);
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_EQ(parser.body_bytes(), 9u);
}

TEST(HttpResponseParser, HeadResponseHasNoBody) {
  HttpResponseParser parser;
  parser.expect_response(true);
  std::size_t consumed = 0;
  EXPECT_EQ(feed_all(parser, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", consumed),
            Result::kComplete);
}

TEST(HttpResponseParser, InterimResponsesAreSkipped) {
  HttpResponseParser parser;
  parser.expect_response(false);
  std::size_t consumed = 0;
  EXPECT_EQ(
      feed_all(parser, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", consumed),
      Result::kComplete);
  EXPECT_EQ(parser.status(), 204);
}

TEST(HttpResponseParser, GarbageAndTruncationAreErrors) {
  HttpResponseParser parser;
  parser.expect_response(false);
  std::size_t consumed = 0;
  EXPECT_EQ(feed_all(parser, "SSH-2.0-OpenSSH\r\n", consumed), Result::kError);
  EXPECT_FALSE(parser.error().empty());
  parser.expect_response(false);
  EXPECT_EQ(parser.finish(), Result::kError);  // closed before anything
  parser.expect_response(false);
  EXPECT_EQ(feed_all(parser, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", consumed),
            Result::kNeedMore);
  EXPECT_EQ(parser.finish(), Result::kError);  // closed mid-body
}

}  // namespace
}  // namespace loadlab
