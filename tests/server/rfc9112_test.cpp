// RFC 9112 §2-§7 and RFC 9110 §5 as loadlab-server reads requests: one row per rule of
// docs/rfc9112.md, raw bytes over a real socket to the real server. A row says the final
// status and whether the connection closes after it; a row that keeps the connection open
// proves it by answering a second request on it (so the first one's framing was read right).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

struct Row {
  const char* name;  // the test name, also in the table's last column
  const char* rule;  // where the rule is
  std::string request;
  int status;
  bool closes;
  bool interim_100 = false;  // a 100 (Continue) comes first
};

std::ostream& operator<<(std::ostream& out, const Row& row) { return out << row.name; }

const std::string kHost = "Host: x\r\n";
std::string get(const std::string& fields) { return "GET /0 HTTP/1.1\r\n" + fields + "\r\n"; }
std::string chunked(const std::string& body) {
  return "GET /0 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
}

const Row kRows[] = {
    // RFC 9112 §2.2: line endings
    {"BareCrAfterRequestLine", "9112 2.2", "GET /0 HTTP/1.1\rHost: x\r\n\r\n", 400, true},
    {"BareCrLineEndingsOnly", "9112 2.2", "GET /0 HTTP/1.1\rHost: x\r\r", 400, true},
    {"BareCrInFieldValue", "9112 2.2", get(kHost + "X: a\rb\r\n"), 400, true},
    {"BareCrEndsHeaderSection", "9112 2.2", "GET /0 HTTP/1.1\r\nHost: x\r\n\rX", 400, true},
    {"BareLfAfterRequestLine", "9112 2.2", "GET /0 HTTP/1.1\nHost: x\r\n\r\n", 400, true},
    {"BareLfEndsFieldLine", "9112 2.2", "GET /0 HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400, true},
    {"BareLfEndsHeaderSection", "9112 2.2", "GET /0 HTTP/1.1\r\nHost: x\r\n\n", 400, true},
    {"BareLfBeforeRequestLine", "9112 2.2", "\nGET /0 HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"EmptyLinesBeforeRequestLineIgnored", "9112 2.2", "\r\n\r\nGET /0 HTTP/1.1\r\nHost: x\r\n\r\n",
     200, false},
    {"WhitespaceBeforeFirstField", "9112 2.2", "GET /0 HTTP/1.1\r\n Host: x\r\n\r\n", 400, true},
    // RFC 9112 §3, §2.3: request-line and version
    {"TwoSpacesAfterMethod", "9112 3", "GET  /0 HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"TwoSpacesBeforeVersion", "9112 3", "GET /0  HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"TabAsSeparator", "9112 3", "GET\t/0 HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"SpaceAfterVersion", "9112 3", "GET /0 HTTP/1.1 \r\nHost: x\r\n\r\n", 400, true},
    {"MissingVersion", "9112 3", "GET /0\r\n\r\n", 400, true},
    {"UnknownMethod", "9110 9.1", "FOO /0 HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"LowercaseMethod", "9110 9.1", "get /0 HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"LowercaseHttpName", "9112 2.3", "GET /0 http/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"MalformedVersion", "9112 2.3", "GET /0 HTTP/1.x\r\nHost: x\r\n\r\n", 400, true},
    {"UnsupportedMajorVersion", "9112 2.3", "GET /0 HTTP/2.0\r\nHost: x\r\n\r\n", 505, true},
    {"UnsupportedMinorVersion", "9112 2.3", "GET /0 HTTP/1.2\r\nHost: x\r\n\r\n", 505, true},
    {"Http10WithoutHostCloses", "9112 9.3", "GET /0 HTTP/1.0\r\n\r\n", 200, true},
    {"SpaceInTarget", "9112 3.2", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"ControlInTarget", "9112 3.2", "GET /0\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"NonAsciiInTarget", "9112 3.2", "GET /0\xff HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"TargetOverLimit", "9112 3", get(kHost).insert(5, std::string(5000, '1')), 414, true},
    // RFC 9112 §3.2: request-target forms
    {"OriginForm", "9112 3.2.1", get(kHost), 200, false},
    {"AbsoluteFormAccepted", "9112 3.2.2", "GET http://127.0.0.1/0 HTTP/1.1\r\nHost: x\r\n\r\n",
     200, false},
    {"AbsoluteFormHttpsSchemeAccepted", "9112 3.2.2",
     "GET HTTPS://a.example:8/0 HTTP/1.1\r\nHost: x\r\n\r\n", 200, false},
    {"AbsoluteFormOverridesHost", "9112 3.2.2",
     "GET http://a.example/0 HTTP/1.1\r\nHost: b.example\r\n\r\n", 200, false},
    {"AbsoluteFormStillNeedsHost", "9112 3.2", "GET http://a.example/0 HTTP/1.1\r\n\r\n", 400,
     true},
    {"AbsoluteFormUserinfo", "9110 4.2.4", "GET http://u@a.example/0 HTTP/1.1\r\nHost: x\r\n\r\n",
     400, true},
    {"AbsoluteFormOtherScheme", "9112 3.2.2", "GET ftp://a.example/0 HTTP/1.1\r\nHost: x\r\n\r\n",
     400, true},
    {"AuthorityFormWithGet", "9112 3.2.3", "GET a.example:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
     true},
    {"AuthorityFormWithConnect", "9112 3.2.3",
     "CONNECT a.example:80 HTTP/1.1\r\nHost: a.example:80\r\n\r\n", 405, true},
    {"ConnectWithOriginForm", "9112 3.2.3", "CONNECT /0 HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    {"AsteriskFormWithOptions", "9112 3.2.4", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405, false},
    {"AsteriskFormWithGet", "9112 3.2.4", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
    // RFC 9112 §3.2: Host
    {"MissingHost", "9112 3.2", get(""), 400, true},
    {"TwoHostLines", "9112 3.2", get("Host: x\r\nHost: x\r\n"), 400, true},
    {"TwoHostLinesAnyCase", "9112 3.2", get("HOST: x\r\nhost: x\r\n"), 400, true},
    {"TwoHostLinesHttp10", "9112 3.2", "GET /0 HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n", 400, true},
    {"HostWithSpace", "9112 3.2", get("Host: a b\r\n"), 400, true},
    {"HostWithPath", "9112 3.2", get("Host: a/b\r\n"), 400, true},
    {"HostWithBadPort", "9112 3.2", get("Host: a:8x\r\n"), 400, true},
    {"HostWithUserinfo", "9112 3.2", get("Host: u@a\r\n"), 400, true},
    {"HostEmptyValue", "9110 7.2", get("Host:\r\n"), 200, false},
    {"HostWithPort", "9110 7.2", get("Host: 127.0.0.1:8080\r\n"), 200, false},
    {"HostIpv6Literal", "9110 7.2", get("Host: [::1]:8080\r\n"), 200, false},
    {"HostIpv6LiteralMalformed", "9110 7.2", get("Host: [1:2]\r\n"), 400, true},
    {"HostIpv6LiteralOnlyColons", "9110 7.2", get("Host: [:::::::::]\r\n"), 400, true},
    {"HostNameAnyCase", "9110 5.1", get("hOsT: x\r\n"), 200, false},
    // RFC 9112 §5, RFC 9110 §5: field lines
    {"SpaceBeforeColon", "9112 5.1", get("Host : x\r\n"), 400, true},
    {"TabBeforeColon", "9112 5.1", get("Host\t: x\r\n"), 400, true},
    {"SpaceBeforeColonOtherField", "9112 5.1", get(kHost + "X-A : b\r\n"), 400, true},
    {"NonTokenFieldName", "9110 5.1", get(kHost + "X(y): z\r\n"), 400, true},
    {"NonAsciiFieldName", "9110 5.1", get(kHost + "X\xff: z\r\n"), 400, true},
    {"EmptyFieldName", "9110 5.1", get(kHost + ": z\r\n"), 400, true},
    {"ObsFold", "9112 5.2", get(kHost + "X: a\r\n b\r\n"), 400, true},
    {"ObsFoldWithTab", "9112 5.2", get(kHost + "X: a\r\n\tb\r\n"), 400, true},
    {"NulInFieldValue", "9110 5.5", get(kHost + std::string("X: a\0b\r\n", 8)), 400, true},
    {"ControlInFieldValue", "9110 5.5",
     get(kHost + "X: a\x01"
                 "b\r\n"),
     400, true},
    {"DelInFieldValue", "9110 5.5", get(kHost + "X: a\x7f b\r\n"), 400, true},
    {"ObsTextInFieldValue", "9110 5.5", get(kHost + "X: a\xff\xfe b\r\n"), 200, false},
    {"TabInFieldValue", "9110 5.5", get(kHost + "X: a\tb\r\n"), 200, false},
    {"HeaderSectionOverLimit", "9110 5.4", get(kHost + "X: " + std::string(20000, 'a') + "\r\n"),
     431, true},
    // RFC 9112 §6.2, §6.3: Content-Length
    {"ContentLengthBodyRead", "9112 6.2", get(kHost + "Content-Length: 5\r\n") + "hello", 200,
     false},
    {"ContentLengthZero", "9112 6.2", get(kHost + "Content-Length: 0\r\n"), 200, false},
    {"ContentLengthTrailingWhitespace", "9110 5.5", get(kHost + "Content-Length: 5 \r\n") + "hello",
     200, false},
    {"ContentLengthNotANumber", "9112 6.3", get(kHost + "Content-Length: 1x\r\n"), 400, true},
    {"ContentLengthNegative", "9112 6.3", get(kHost + "Content-Length: -1\r\n"), 400, true},
    {"ContentLengthPlusSign", "9112 6.3", get(kHost + "Content-Length: +1\r\n") + "x", 400, true},
    {"ContentLengthEmpty", "9112 6.3", get(kHost + "Content-Length: \r\n"), 400, true},
    {"ContentLengthInnerSpace", "9112 6.3", get(kHost + "Content-Length: 1 2\r\n"), 400, true},
    {"ContentLengthListSame", "9110 8.6", get(kHost + "Content-Length: 1, 1\r\n") + "x", 400, true},
    {"ContentLengthTwiceSame", "9110 8.6",
     get(kHost + "Content-Length: 1\r\nContent-Length: 1\r\n") + "x", 400, true},
    {"ContentLengthTwiceDiffer", "9112 6.3",
     get(kHost + "Content-Length: 1\r\nContent-Length: 2\r\n") + "xx", 400, true},
    {"ContentLengthOverflow", "9112 6.3",
     get(kHost + "Content-Length: 99999999999999999999999\r\n"), 400, true},
    {"ContentLengthOverLimit", "9110 15.5.14", get(kHost + "Content-Length: 1001\r\n"), 413, true},
    // RFC 9112 §6.1, §6.3: Transfer-Encoding
    {"ChunkedBodyRead", "9112 7.1", chunked("5\r\nhello\r\n0\r\n\r\n"), 200, false},
    {"ChunkedAnyCase", "9112 7", get(kHost + "Transfer-Encoding: CHUNKED\r\n") + "0\r\n\r\n", 200,
     false},
    {"ChunkedEmptyListElements", "9110 5.6.1",
     get(kHost + "Transfer-Encoding: , chunked\r\n") + "0\r\n\r\n", 200, false},
    {"TransferEncodingAndContentLength", "9112 6.1",
     get(kHost + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n") + "0\r\n\r\n", 400, true},
    {"ContentLengthAndTransferEncoding", "9112 6.1",
     get(kHost + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n", 400, true},
    {"TransferEncodingInHttp10", "9112 6.1",
     "GET /0 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, true},
    {"ChunkedNotFinal", "9112 6.3", get(kHost + "Transfer-Encoding: chunked, gzip\r\n"), 400, true},
    {"ChunkedNotFinalAcrossLines", "9112 6.3",
     get(kHost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), 400, true},
    {"OnlyUnknownCoding", "9112 6.3", get(kHost + "Transfer-Encoding: gzip\r\n"), 400, true},
    {"UnknownCodingBeforeChunked", "9112 6.1",
     get(kHost + "Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n", 501, true},
    {"ChunkedTwice", "9112 7.1",
     get(kHost + "Transfer-Encoding: chunked, chunked\r\n") + "0\r\n\r\n", 400, true},
    {"TransferEncodingEmpty", "9112 6.3", get(kHost + "Transfer-Encoding: \r\n"), 400, true},
    // RFC 9112 §7.1: chunks
    {"ChunkSizeNotHex", "9112 7.1", chunked("zz\r\nx\r\n0\r\n\r\n"), 400, true},
    {"ChunkSizeWithPrefix", "9112 7.1", chunked("0x1\r\nx\r\n0\r\n\r\n"), 400, true},
    {"ChunkSizeOverflow", "9112 7.1", chunked("fffffffffffffffffff\r\n"), 400, true},
    {"ChunkSizeLeadingZeros", "9112 7.1", chunked("005\r\nhello\r\n0\r\n\r\n"), 200, false},
    {"ChunkExtensionIgnored", "9112 7.1.1", chunked("5;a=b\r\nhello\r\n0;c\r\n\r\n"), 200, false},
    {"ChunkExtensionQuoted", "9112 7.1.1", chunked("5;a=\"b c\"\r\nhello\r\n0\r\n\r\n"), 200,
     false},
    {"ChunkExtensionInvalid", "9112 7.1.1", chunked("5;a b\r\nhello\r\n0\r\n\r\n"), 400, true},
    {"ChunkDataLongerThanSize", "9112 7.1", chunked("1\r\nxAB0\r\n\r\n"), 400, true},
    {"ChunkDataEndsInBareLf", "9112 7.1", chunked("1\r\nx\n0\r\n\r\n"), 400, true},
    {"ChunkSizeLineBareLf", "9112 7.1", chunked("1\nx\r\n0\r\n\r\n"), 400, true},
    {"ChunkSizeLineBareCr", "9112 7.1", chunked("1\rx\r\n0\r\n\r\n"), 400, true},
    {"LastChunkBareLf", "9112 7.1", chunked("0\n\r\n"), 400, true},
    {"ChunkedBodyEndsInBareLf", "9112 7.1", chunked("0\r\n\n"), 400, true},
    {"TrailerFieldsAccepted", "9112 7.1.2", chunked("1\r\nx\r\n0\r\nT: v\r\n\r\n"), 200, false},
    {"ExpectInTrailerIsNotAnExpectation", "9110 6.5", chunked("0\r\nExpect: foo\r\n\r\n"), 200,
     false},
    {"TrailerObsFold", "9112 5.2", chunked("0\r\nT: v\r\n w\r\n\r\n"), 400, true},
    {"TrailerInvalidName", "9112 7.1.2", chunked("0\r\nT v\r\n\r\n"), 400, true},
    {"ChunkedBodyOverLimit", "9110 15.5.14", chunked("3e9\r\n" + std::string(1001, 'x')), 413,
     true},
    // RFC 9112 §9.3, §9.6; RFC 9110 §7.6.1: Connection
    {"ConnectionCloseHonoured", "9112 9.6", get(kHost + "Connection: close\r\n") + get(kHost), 200,
     true},
    {"ConnectionCloseAmongOptions", "9110 7.6.1", get(kHost + "Connection: keep-alive, close\r\n"),
     200, true},
    {"Http10KeepAlive", "9112 9.3", "GET /0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200,
     false},
    // RFC 9110 §10.1.1: Expect
    {"ExpectContinue", "9110 10.1.1",
     get(kHost + "Expect: 100-continue\r\nContent-Length: 2\r\n") + "ab", 200, false, true},
    {"ExpectContinueAnyCase", "9110 10.1.1",
     get(kHost + "Expect: 100-Continue\r\nContent-Length: 2\r\n") + "ab", 200, false, true},
    {"ExpectContinueTrailingWhitespace", "9110 5.5",
     get(kHost + "Expect: 100-continue \r\nContent-Length: 2\r\n") + "ab", 200, false, true},
    {"ExpectContinueIgnoredInHttp10", "9110 10.1.1",
     "GET /0 HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: "
     "2\r\n\r\nab",
     200, false},
    {"ExpectUnknown", "9110 10.1.1", get(kHost + "Expect: teapot\r\n"), 417, true},
};

class Rfc9112 : public testing::TestWithParam<Row> {
 public:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--threads", "1", "--workers", "1", "--max-body-bytes", "1000",
                                 "--max-header-bytes", "16384", "--max-url-bytes", "4096"});
  }
  static void TearDownTestSuite() { server_.reset(); }

 protected:
  static std::unique_ptr<ServerProcess> server_;
};

std::unique_ptr<ServerProcess> Rfc9112::server_;

TEST_P(Rfc9112, Request) {
  const Row& row = GetParam();
  SCOPED_TRACE(std::string("RFC ") + row.rule);
  TcpClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.send(row.request);
  auto response = client.read_response(10s);
  if (row.interim_100) {
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 100);
    response = client.read_response(10s);
  }
  ASSERT_TRUE(response) << "no response";
  EXPECT_EQ(response->status, row.status) << response->body;
  if (response->status >= 400) {
    // An error says why, as JSON.
    EXPECT_EQ(response->header("content-type"), "application/json");
    const auto body = nlohmann::json::parse(response->body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << response->body;
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
  }
  if (row.closes) {
    EXPECT_EQ(response->header("connection"), "close");
    EXPECT_FALSE(client.read_response(10s)) << "a response after the connection's last";
    EXPECT_TRUE(client.wait_closed(10s));
  } else {
    EXPECT_NE(response->header("connection"), "close");
    client.send(get_request("/healthz"));
    const auto next = client.read_response(10s);
    ASSERT_TRUE(next) << "the connection did not answer a second request";
    EXPECT_EQ(next->status, 200);
  }
}

// An error found before the next request began (a bare LF after a HEAD's header section) is
// answered with its body: the HEAD before it must not make it a bodiless answer.
class Rfc9112Sequence : public Rfc9112 {};

TEST_F(Rfc9112Sequence, AnErrorAfterAHeadRequestKeepsItsBody) {
  TcpClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.send("HEAD /0 HTTP/1.1\r\nHost: x\r\n\r\n\n");
  const auto head = client.read_response(10s, /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  const auto error = client.read_response(10s);
  ASSERT_TRUE(error) << "no error response, or one without its body";
  EXPECT_EQ(error->status, 400);
  EXPECT_FALSE(nlohmann::json::parse(error->body, nullptr, false).is_discarded()) << error->body;
}

INSTANTIATE_TEST_SUITE_P(Rows, Rfc9112, testing::ValuesIn(kRows),
                         [](const testing::TestParamInfo<Row>& row) {
                           return std::string(row.param.name);
                         });

}  // namespace
}  // namespace loadlab::test
