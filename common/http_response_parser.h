// Incremental HTTP/1.x response parsing on llhttp for the loadgen: one response at a time,
// Content-Length, chunked and close-delimited bodies, keep-alive decision, and the one header
// the reports use (Server-Timing). Bodies are counted, never stored.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace loadlab {

class HttpResponseParser {
 public:
  enum class Result { kNeedMore, kComplete, kError };

  HttpResponseParser();
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Before each request's response: HEAD responses have no body whatever their headers say.
  void expect_response(bool head_request);
  // Feeds bytes; stops at the end of one response. `consumed` tells how many were used.
  Result feed(const char* data, std::size_t length, std::size_t& consumed);
  // The connection closed: completes a close-delimited body, otherwise an error.
  Result finish();

  int status() const { return status_; }
  bool keep_alive() const { return keep_alive_; }
  std::uint64_t body_bytes() const { return body_bytes_; }
  const std::string& server_timing() const { return server_timing_; }
  bool started() const { return started_; }
  const std::string& error() const { return error_; }

  // llhttp callbacks.
  int on_message_begin();
  int on_header_field(const char* at, std::size_t length);
  int on_header_field_complete();
  int on_header_value(const char* at, std::size_t length);
  int on_headers_complete();
  int on_body(std::size_t length);
  int on_message_complete();

 private:
  // The callbacks llhttp makes: all but header values, or also those (a Server-Timing's).
  static const llhttp_settings_t* settings();
  static const llhttp_settings_t* server_timing_settings();

  llhttp_t parser_{};
  bool values_wanted_ = false;  // parser_.settings is server_timing_settings()
  bool value_pending_ = false;  // a Server-Timing field is complete; its value not yet begun
  bool head_request_ = false;
  bool started_ = false;
  bool complete_ = false;
  int status_ = 0;
  bool keep_alive_ = false;
  std::uint64_t body_bytes_ = 0;
  // How much of "server-timing" the current field name has matched so far (kNoMatch: not it).
  static constexpr std::size_t kNoMatch = SIZE_MAX;
  std::size_t field_matched_ = 0;
  std::string server_timing_;
  std::string error_;
};

}  // namespace loadlab
