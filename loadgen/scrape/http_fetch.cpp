#include "loadgen/scrape/http_fetch.h"

#include <llhttp.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace loadlab::loadgen {
namespace {

struct ParseState {
  FetchResult* result;
  std::string field;
  std::string value;
  bool complete = false;
};

ParseState& state_of(llhttp_t* parser) { return *static_cast<ParseState*>(parser->data); }

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

void parse_fetched_response(std::string_view raw, FetchResult& result) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) {
    state_of(p).field.append(at, n);
    return 0;
  };
  settings.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) {
    state_of(p).value.append(at, n);
    return 0;
  };
  settings.on_header_value_complete = [](llhttp_t* p) {
    ParseState& s = state_of(p);
    if (same_name(s.field, "server")) s.result->server = s.value;
    s.field.clear();
    s.value.clear();
    return 0;
  };
  settings.on_body = [](llhttp_t* p, const char* at, std::size_t n) {
    state_of(p).result->body.append(at, n);
    return 0;
  };
  settings.on_message_complete = [](llhttp_t* p) {
    state_of(p).complete = true;
    return static_cast<int>(HPE_PAUSED);  // one response; what follows is not read
  };
  llhttp_t parser;
  llhttp_init(&parser, HTTP_RESPONSE, &settings);
  ParseState state{&result, {}, {}};
  parser.data = &state;
  llhttp_errno_t rc = llhttp_execute(&parser, raw.data(), raw.size());
  if (rc == HPE_OK && !state.complete) rc = llhttp_finish(&parser);  // close-delimited body
  if (!state.complete && (rc == HPE_OK || rc == HPE_PAUSED)) {
    result.error = "the answer ended early";
  } else if (rc != HPE_OK && rc != HPE_PAUSED) {
    result.error = std::string("not an HTTP response: ") + llhttp_errno_name(rc);
  }
  if (result.error.empty()) result.status = parser.status_code;
}

void HttpFetch::get(const Target& target, std::uint64_t timeout_ms, Done done) {
  done_ = std::move(done);
  response_.clear();
  request_ = "GET " + target.path_template + " HTTP/1.1\r\nHost: " + target.host_header +
             "\r\nUser-Agent: loadlab-loadgen (scrape)\r\nAccept: text/plain\r\n"
             "Connection: close\r\n\r\n";
  tcp_ = TcpStream<>();
  timer_.start<&HttpFetch::on_timeout>(this, timeout_ms);
  if (const int rc = tcp_.init(loop_); rc < 0) return finish(uv_strerror(rc));
  if (const int rc = tcp_.connect<&HttpFetch::on_connect>(
          this, reinterpret_cast<const sockaddr*>(&target.address));
      rc < 0)
    return finish(std::string("connect: ") + uv_strerror(rc));
}

void HttpFetch::cancel() {
  done_ = nullptr;
  timer_.stop();
  tcp_.close();
}

void HttpFetch::on_connect(int status) {
  if (!done_) return;
  if (status < 0) return finish(std::string("connect: ") + uv_strerror(status));
  const uv_buf_t buf = uv_buf_init(request_.data(), static_cast<unsigned>(request_.size()));
  if (const int rc = tcp_.write<&HttpFetch::on_write>(this, &buf, 1); rc < 0)
    return finish(std::string("write: ") + uv_strerror(rc));
  if (const int rc = tcp_.read_start<&HttpFetch::read_buffer, &HttpFetch::on_read>(this); rc < 0)
    return finish(std::string("read: ") + uv_strerror(rc));
}

void HttpFetch::on_write(int status) {
  if (done_ && status < 0 && status != UV_ECANCELED)
    finish(std::string("write: ") + uv_strerror(status));
}

uv_buf_t HttpFetch::read_buffer() {
  return uv_buf_init(chunk_.data(), static_cast<unsigned>(chunk_.size()));
}

void HttpFetch::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (!done_ || nread == 0) return;
  if (nread == UV_EOF) {
    FetchResult result;
    parse_fetched_response(response_, result);
    if (!result.error.empty()) return finish(result.error);
    Done done = std::exchange(done_, nullptr);
    cancel();
    done(std::move(result));
    return;
  }
  if (nread < 0) return finish(std::string("read: ") + uv_strerror(static_cast<int>(nread)));
  if (response_.size() + static_cast<std::size_t>(nread) > kMaxFetchBytes)
    return finish("the answer is over " + std::to_string(kMaxFetchBytes / (1024 * 1024)) + " MiB");
  response_.append(buf->base, static_cast<std::size_t>(nread));
}

void HttpFetch::on_timeout() {
  if (done_) finish("no complete answer in time");
}

void HttpFetch::finish(std::string error) {
  Done done = std::exchange(done_, nullptr);
  cancel();
  FetchResult result;
  result.error = std::move(error);
  if (done) done(std::move(result));
}

}  // namespace loadlab::loadgen
