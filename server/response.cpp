#include "server/response.h"

#include "common/logging.h"

namespace loadlab::server {

std::string_view reason_phrase(int status) {
  // RFC 9110 §15 and the IANA registry: any code /status or /N?status= may send.
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 418:
      return "I'm a teapot";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 425:
      return "Too Early";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 451:
      return "Unavailable For Legal Reasons";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    case 511:
      return "Network Authentication Required";
    default:
      return "Unknown";
  }
}

bool has_no_content(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

void append_response(std::string& out, const ResponseHead& head, std::string_view body) {
  out.append("HTTP/1.1 ");
  append_uint(out, static_cast<std::uint64_t>(head.status));
  out.push_back(' ');
  out.append(reason_phrase(head.status));
  out.append("\r\nServer: loadlab\r\nDate: ");
  out.append(head.date);
  // RFC 9110 §8.6, §15.3.5, §15.4.5: a 204 must not carry Content-Length, nor a 304 one
  // other than the 200's; neither has content, so neither gets a body nor says its type.
  const bool no_content = has_no_content(head.status);
  if (!no_content) {
    out.append("\r\nContent-Type: ");
    out.append(head.content_type);
    switch (head.framing) {
      case ResponseHead::Framing::kBody:
        out.append("\r\nContent-Length: ");
        append_uint(out, body.size());
        break;
      case ResponseHead::Framing::kLength:
        out.append("\r\nContent-Length: ");
        append_uint(out, head.content_length);
        break;
      case ResponseHead::Framing::kChunked:
        out.append("\r\nTransfer-Encoding: chunked");
        break;
      case ResponseHead::Framing::kUntilClose:
        break;
    }
  }
  switch (head.connection) {
    case ConnectionHeader::kOmit:
      break;
    case ConnectionHeader::kKeepAlive:
      out.append("\r\nConnection: keep-alive");
      break;
    case ConnectionHeader::kClose:
      out.append("\r\nConnection: close");
      break;
  }
  out.append("\r\n");
  out.append(head.extra_headers);
  out.append("\r\n");
  if (!head.head_only && !no_content) out.append(body);
}

void append_chunk_size(std::string& out, std::size_t size) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, size, 16);
  out.append(digits, end);
  out.append("\r\n");
}

void append_millis(std::string& out, std::uint64_t nanoseconds) {
  const std::uint64_t micros = (nanoseconds + 500) / 1000;
  append_uint(out, micros / 1000);
  out.push_back('.');
  const auto fraction = static_cast<unsigned>(micros % 1000);
  out.push_back(static_cast<char>('0' + fraction / 100));
  out.push_back(static_cast<char>('0' + fraction / 10 % 10));
  out.push_back(static_cast<char>('0' + fraction % 10));
}

void append_error_body(std::string& out, int status, std::string_view message) {
  out.append(R"({"error":{"status":)");
  append_uint(out, static_cast<std::uint64_t>(status));
  out.append(R"(,"reason":")");
  out.append(reason_phrase(status));
  out.append(R"(","message":")");
  out.append(json_escape(message));
  out.append("\"}}\n");
}

}  // namespace loadlab::server
