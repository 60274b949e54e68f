#include "common/http_response_parser.h"

#include <algorithm>
#include <string_view>

namespace loadlab {
namespace {

HttpResponseParser* self(llhttp_t* parser) {
  return static_cast<HttpResponseParser*>(parser->data);
}

// Two tables: llhttp reads parser->settings at every callback, so a parser switches to the
// second only for a Server-Timing header's value (on_header_field_complete). Every other header's
// value then costs no callback at all: two calls per header were a tenth of the loadgen's
// instructions per plain-HTTP request (issue 13).
llhttp_settings_t base_settings() {
  llhttp_settings_t s;
  llhttp_settings_init(&s);
  s.on_message_begin = [](llhttp_t* p) { return self(p)->on_message_begin(); };
  s.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) {
    return self(p)->on_header_field(at, n);
  };
  s.on_header_field_complete = [](llhttp_t* p) { return self(p)->on_header_field_complete(); };
  s.on_headers_complete = [](llhttp_t* p) { return self(p)->on_headers_complete(); };
  s.on_body = [](llhttp_t* p, const char*, std::size_t n) { return self(p)->on_body(n); };
  s.on_message_complete = [](llhttp_t* p) { return self(p)->on_message_complete(); };
  return s;
}

}  // namespace

const llhttp_settings_t* HttpResponseParser::settings() {
  static const llhttp_settings_t table = base_settings();
  return &table;
}

const llhttp_settings_t* HttpResponseParser::server_timing_settings() {
  static const llhttp_settings_t table = [] {
    llhttp_settings_t s = base_settings();
    s.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) {
      return self(p)->on_header_value(at, n);
    };
    return s;
  }();
  return &table;
}

namespace {

constexpr std::string_view kServerTiming = "server-timing";

}  // namespace

HttpResponseParser::HttpResponseParser() {
  llhttp_init(&parser_, HTTP_RESPONSE, settings());
  parser_.data = this;
}

void HttpResponseParser::expect_response(bool head_request) {
  llhttp_init(&parser_, HTTP_RESPONSE, settings());
  parser_.data = this;
  head_request_ = head_request;
  started_ = complete_ = value_pending_ = values_wanted_ = false;
  status_ = 0;
  keep_alive_ = false;
  body_bytes_ = 0;
  field_matched_ = 0;
  server_timing_.clear();
  error_.clear();
}

HttpResponseParser::Result HttpResponseParser::feed(const char* data, std::size_t length,
                                                    std::size_t& consumed) {
  const llhttp_errno_t err = llhttp_execute(&parser_, data, length);
  if (err == HPE_OK) {
    consumed = length;
    return complete_ ? Result::kComplete : Result::kNeedMore;
  }
  if (err == HPE_PAUSED && complete_) {
    consumed = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data);
    return Result::kComplete;
  }
  consumed = length;
  if (error_.empty())
    error_ = std::string(llhttp_errno_name(err)) + ": " + llhttp_get_error_reason(&parser_);
  return Result::kError;
}

HttpResponseParser::Result HttpResponseParser::finish() {
  if (complete_) return Result::kComplete;
  if (!started_) {
    error_ = "connection closed before a response";
    return Result::kError;
  }
  llhttp_finish(&parser_);  // completes a close-delimited body (through on_message_complete)
  if (complete_) return Result::kComplete;
  error_ = "connection closed in the middle of a response";
  return Result::kError;
}

int HttpResponseParser::on_message_begin() {
  started_ = true;
  return 0;
}

int HttpResponseParser::on_header_field(const char* at, std::size_t length) {
  // Matched as it comes (a name may arrive in pieces), case-insensitively, without a copy:
  // every header of every response passes here.
  for (std::size_t i = 0; i < length && field_matched_ != kNoMatch; ++i) {
    const char c = at[i] >= 'A' && at[i] <= 'Z' ? static_cast<char>(at[i] + 32) : at[i];
    field_matched_ = field_matched_ < kServerTiming.size() && c == kServerTiming[field_matched_]
                         ? field_matched_ + 1
                         : kNoMatch;
  }
  return 0;
}

int HttpResponseParser::on_header_field_complete() {
  // Set at every field, so a value that makes no callback (an empty one) cannot leave the
  // Server-Timing table on for the next header.
  const bool server_timing = field_matched_ == kServerTiming.size();
  if (server_timing != values_wanted_) {  // most headers: no switch, nothing to look up
    values_wanted_ = server_timing;
    parser_.settings =
        const_cast<llhttp_settings_t*>(server_timing ? server_timing_settings() : settings());
  }
  value_pending_ = server_timing;
  field_matched_ = 0;
  return 0;
}

int HttpResponseParser::on_header_value(const char* at, std::size_t length) {
  if (length == 0) return 0;  // llhttp's span of an empty value: nothing to combine
  if (value_pending_) {
    value_pending_ = false;
    if (!server_timing_.empty()) server_timing_.append(", ");  // repeated headers combine
  }
  if (server_timing_.size() < 4096) server_timing_.append(at, length);
  return 0;
}

int HttpResponseParser::on_headers_complete() {
  status_ = llhttp_get_status_code(&parser_);
  // llhttp takes "20" or "020" for a status; RFC 9110 §15 allows three digits from 100.
  if (status_ < 100 || status_ > 999) {
    error_ = "invalid status code " + std::to_string(status_) + " (three digits from 100)";
    return -1;
  }
  // keep_alive_ is read once the message is complete: on_message_complete sets it.
  // 1: no body follows (RFC 9110 §9.3.2 for HEAD; 1xx, 204 and 304 llhttp knows itself).
  return head_request_ ? 1 : 0;
}

int HttpResponseParser::on_body(std::size_t length) {
  body_bytes_ += length;
  return 0;
}

int HttpResponseParser::on_message_complete() {
  if (status_ >= 100 && status_ < 200) {  // interim response: the real one follows
    started_ = false;
    return 0;
  }
  keep_alive_ = llhttp_should_keep_alive(&parser_) != 0;
  complete_ = true;
  return HPE_PAUSED;
}

}  // namespace loadlab
