#include "server/connection.h"

#include <spdlog/spdlog.h>

#include <variant>

#include "common/tls_session.h"
#include "server/loop_context.h"
#include "server/router.h"

namespace loadlab::server {
namespace {

// After the last response of a closing connection, how long to keep reading (and discarding)
// before closing: closing with unread input makes the kernel send RST, which can destroy
// the response before the client reads it (RFC 9112 §9.6, "lingering close").
constexpr std::uint64_t kLingerMs = 2000;
constexpr std::size_t kMaxWriteBatch = 32;
// We only look at the Expect header; longer names and values cannot match it.
constexpr std::size_t kHeaderCompareBytes = 32;
constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";
// A written response's buffer stays in its slot for the next request when it is this small
// (every /N, /prime, health and error response): keep-alive traffic allocates nothing. A
// larger one (/metrics) is freed, so a connection that once pipelined many keeps nothing.
constexpr std::size_t kPooledResponseBytes = 4096;

template <int (Connection::*Method)()>
int forward(llhttp_t* parser) {
  return (static_cast<Connection*>(parser->data)->*Method)();
}

template <int (Connection::*Method)(const char*, std::size_t)>
int forward_data(llhttp_t* parser, const char* at, std::size_t length) {
  return (static_cast<Connection*>(parser->data)->*Method)(at, length);
}

const llhttp_settings_t* parser_settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = forward<&Connection::on_message_begin>;
    s.on_url = forward_data<&Connection::on_url>;
    s.on_version = forward_data<&Connection::on_version>;
    s.on_version_complete = forward<&Connection::on_version_complete>;
    s.on_header_field = forward_data<&Connection::on_header_field>;
    s.on_header_field_complete = forward<&Connection::on_header_field_complete>;
    s.on_header_value = forward_data<&Connection::on_header_value>;
    s.on_header_value_complete = forward<&Connection::on_header_value_complete>;
    s.on_headers_complete = forward<&Connection::on_headers_complete>;
    s.on_body = forward_data<&Connection::on_body>;
    s.on_message_complete = forward<&Connection::on_message_complete>;
    return s;
  }();
  return &settings;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

void append_bounded(std::string& out, const char* at, std::size_t length, std::size_t bound) {
  if (out.size() <= bound) out.append(at, std::min(length, bound + 1 - out.size()));
}

}  // namespace

Connection::Connection(LoopContext& loop, std::uint64_t id, const TlsContext* tls)
    : loop_(loop), id_(id), deadline_timer_(loop.loop()), write_timer_(loop.loop()) {
  if (tls != nullptr) tls_ = std::make_unique<TlsSession>(*tls);
  uv_check(tcp_.init(loop.loop()), "uv_tcp_init");
  llhttp_init(&parser_, HTTP_REQUEST, parser_settings());
  parser_.data = this;
  // Every leniency off (they are off after llhttp_init; this says so): conflicting
  // Content-Length and Transfer-Encoding, "chunked" not last, invalid header octets and data
  // after "Connection: close" are all errors. llhttp.c itself is built with
  // LLHTTP_STRICT_MODE (CMakeLists.txt), and request_validation.h covers what it still lets by.
  llhttp_set_lenient_headers(&parser_, 0);
  llhttp_set_lenient_chunked_length(&parser_, 0);
  llhttp_set_lenient_keep_alive(&parser_, 0);
  llhttp_set_lenient_transfer_encoding(&parser_, 0);
  framing_.start_message();
  loop_.shared().open_connections.fetch_add(1, std::memory_order_relaxed);
  loop_.metrics().open_connections.add(1);
}

Connection::~Connection() {
  loop_.shared().open_connections.fetch_sub(1, std::memory_order_relaxed);
  loop_.metrics().open_connections.add(-1);
}

void Connection::start() {
  // Fails only for a socket that is already unusable (reset before we got to it).
  if (tcp_.nodelay(true) != 0) {
    close();
    return;
  }
  set_reading(true);
  set_deadline(Deadline::kHeaders, loop_.config().header_timeout_ms);
}

void Connection::set_reading(bool reading) {
  if (reading == reading_ || closing_) return;
  if (reading) {
    const int status = tcp_.read_start<&Connection::read_buffer, &Connection::on_read>(this);
    if (status < 0) {
      close();
      return;
    }
  } else {
    tcp_.read_stop();
  }
  reading_ = reading;
}

uv_buf_t Connection::read_buffer() { return loop_.read_buffer(); }

void Connection::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0) return;
  if (nread < 0) {
    // EOF or reset: the client is gone, whatever it was waiting for (like nginx, we do not
    // keep serving a half-closed connection).
    if (tls_ != nullptr) on_tls_eof();
    close();
    return;
  }
  if (read_state_ != ReadState::kReading) return;  // lingering: discard
  if (tls_ != nullptr) {
    read_tls(buf->base, static_cast<std::size_t>(nread));
    return;
  }
  // The first byte of the next request starts its header clock, even if it is only an empty
  // line (RFC 9112 §2.2 lets a server ignore those, not wait for ever on them): a client that
  // sends "\r\n" now and then must not hold the connection open like an idle keep-alive one.
  if (!in_message_ && deadline_ != Deadline::kHeaders) {
    set_deadline(Deadline::kHeaders, loop_.config().header_timeout_ms);
  }
  feed(buf->base, static_cast<std::size_t>(nread));
  flush();
}

void Connection::feed(const char* data, std::size_t length) {
  const char* const end = data + length;
  scan_from_ = data;
  llhttp_errno_t err = llhttp_execute(&parser_, data, length);
  while (err == HPE_PAUSED && checkpoint_ != Checkpoint::kNone) {
    const char* at = llhttp_get_error_pos(&parser_);
    const int result = pass_checkpoint(std::exchange(checkpoint_, Checkpoint::kNone), at);
    if (result == HPE_OK) {
      llhttp_resume(&parser_);
      err = llhttp_execute(&parser_, at, static_cast<std::size_t>(end - at));
    } else {
      err = static_cast<llhttp_errno_t>(result);
    }
  }
  if (closing_) return;  // a callback found the socket unusable
  if (err == HPE_OK && !scan_framing(end)) err = HPE_USER;
  switch (err) {
    case HPE_OK:
      return;
    case HPE_PAUSED:
      if (read_state_ == ReadState::kPaused) {
        const char* stopped_at = llhttp_get_error_pos(&parser_);
        pending_input_.assign(stopped_at, static_cast<std::size_t>(data + length - stopped_at));
        set_reading(false);
      } else {
        stop_requests();  // the request just parsed was the connection's last
      }
      return;
    case HPE_PAUSED_UPGRADE:
      // An Upgrade request was answered over HTTP/1.1; the bytes after it are not HTTP/1.1.
      stop_requests();
      if (!exchanges_.empty()) {
        exchanges_.at(exchanges_.size() - 1).close_after = true;
      } else {
        start_lingering_close();  // answered already: nothing would ever close it
      }
      return;
    default:
      break;
  }
  loop_.metrics().parse_errors.add();
  if (rejected_status_ != 0) {
    fail_request(rejected_status_, rejected_message_);
  } else if (err == HPE_INVALID_VERSION && validator_.invalid_version_status() == 505) {
    fail_request(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  } else {
    fail_request(400, std::string("malformed request: ") + llhttp_get_error_reason(&parser_));
  }
}

int Connection::pass_checkpoint(Checkpoint checkpoint, const char* at) {
  if (!scan_framing(at)) return HPE_USER;
  if (checkpoint == Checkpoint::kHeadersComplete) {
    framing_.end_header_section();
    return check_headers();
  }
  framing_.start_message();
  return finish_message();
}

bool Connection::scan_framing(const char* to) {
  const auto error = framing_.scan(scan_from_, to);
  scan_from_ = to;
  if (!error) return true;
  reject(400, *error);
  return false;
}

void Connection::resume_reading() {
  llhttp_resume(&parser_);
  read_state_ = ReadState::kReading;
  std::string input;
  input.swap(pending_input_);
  feed(input.data(), input.size());
  // Plaintext the session decrypted before reading paused waits there, not in the socket.
  if (tls_ != nullptr && read_state_ == ReadState::kReading) read_tls_plaintext();
  if (read_state_ == ReadState::kReading) set_reading(true);
}

void Connection::stop_requests() {
  // Lingering already takes no requests; its deadline and reads must stay (an answer that
  // arrives for a request behind the connection's last one lands here, as does a fault's).
  if (read_state_ == ReadState::kLingering) return;
  read_state_ = ReadState::kStopped;
  in_message_ = false;
  pending_input_.clear();
  set_deadline(Deadline::kNone, 0);
  set_reading(false);
}

int Connection::on_message_begin() {
  in_message_ = true;
  target_.clear();
  header_field_.clear();
  header_value_.clear();
  header_bytes_ = 0;
  body_bytes_ = 0;
  header_lines_.clear();
  if (header_lines_.capacity() > kPooledResponseBytes)
    std::string().swap(header_lines_);  // a rare /anything's
  headers_routed_ = false;
  collect_headers_ = false;
  expect_continue_ = false;
  rejected_status_ = 0;
  validator_.reset();
  // Headers and body must arrive within the header timeout: slow-loris clients are cut off.
  // The clock may already run since the read that brought this message's first byte (or the
  // empty lines before it); more bytes never extend it.
  if (deadline_ != Deadline::kHeaders)
    set_deadline(Deadline::kHeaders, loop_.config().header_timeout_ms);
  return 0;
}

int Connection::reject(int status, std::string message) {
  rejected_status_ = status;
  rejected_message_ = std::move(message);
  return HPE_USER;
}

int Connection::on_url(const char* at, std::size_t length) {
  header_bytes_ += length;
  if (target_.size() + length > loop_.config().max_url_bytes) {
    return reject(414, "request-target longer than " +
                           std::to_string(loop_.config().max_url_bytes) + " bytes");
  }
  target_.append(at, length);
  return 0;
}

int Connection::on_version(const char* at, std::size_t length) {
  validator_.on_version({at, length});
  return 0;
}

int Connection::on_version_complete() {
  validator_.on_version_complete();
  return 0;
}

int Connection::on_header_field(const char* at, std::size_t length) {
  header_bytes_ += length;
  if (header_bytes_ > loop_.config().max_header_bytes) {
    return reject(431, "request headers larger than " +
                           std::to_string(loop_.config().max_header_bytes) + " bytes");
  }
  append_bounded(header_field_, at, length, kHeaderCompareBytes);
  validator_.on_field_name({at, length});
  if (!headers_routed_) {  // the request-target is complete once the first field begins
    headers_routed_ = true;
    collect_headers_ = route_wants_headers(target_);
  }
  if (collect_headers_ && !framing_.past_header_section()) header_lines_.append(at, length);
  return 0;
}

int Connection::on_header_field_complete() {
  if (collect_headers_ && !framing_.past_header_section()) header_lines_.push_back(':');
  return 0;
}

int Connection::on_header_value(const char* at, std::size_t length) {
  header_bytes_ += length;
  if (header_bytes_ > loop_.config().max_header_bytes) {
    return reject(431, "request headers larger than " +
                           std::to_string(loop_.config().max_header_bytes) + " bytes");
  }
  append_bounded(header_value_, at, length, kHeaderCompareBytes);
  validator_.on_field_value({at, length});
  if (collect_headers_ && !framing_.past_header_section()) header_lines_.append(at, length);
  return 0;
}

int Connection::on_header_value_complete() {
  if (auto rejection = validator_.on_field_complete())
    return reject(rejection->status, std::move(rejection->message));
  // RFC 9110 §6.5: trailer fields are not header fields; an Expect among them asks nothing.
  if (!framing_.past_header_section() && equals_ignore_case(header_field_, "expect")) {
    if (!equals_ignore_case(trim_ows(header_value_), "100-continue")) {
      return reject(417, "the only expectation supported is 100-continue");
    }
    expect_continue_ = true;
  }
  if (collect_headers_ && !framing_.past_header_section()) header_lines_.append("\r\n");
  header_field_.clear();
  header_value_.clear();
  return 0;
}

int Connection::on_headers_complete() {
  // Paused here so feed() can check the header section's line endings before anything acts
  // on the request; check_headers() runs then.
  checkpoint_ = Checkpoint::kHeadersComplete;
  return HPE_PAUSED;
}

int Connection::check_headers() {
  if (parser_.http_major != 1) return reject(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  if (auto rejection = validator_.on_headers_complete(parser_, target_)) {
    return reject(rejection->status, std::move(rejection->message));
  }
  const std::uint64_t max_body = loop_.config().max_body_bytes;
  const bool has_length = (parser_.flags & F_CONTENT_LENGTH) != 0;
  if (has_length && parser_.content_length > max_body) {
    return reject(413, "request body of " + std::to_string(parser_.content_length) +
                           " bytes exceeds the limit of " + std::to_string(max_body) + " bytes");
  }
  const bool body_expected =
      (parser_.flags & F_CHUNKED) != 0 || (has_length && parser_.content_length > 0);
  // 100-continue only when this request is next to be answered, so it cannot overtake the
  // responses of earlier pipelined requests (RFC 9110 §10.1.1 lets a server omit it).
  // An HTTP/1.0 client cannot ask for it (RFC 9110 §10.1.1: the expectation is ignored).
  const bool http11 = parser_.http_minor >= 1;
  if (expect_continue_ && http11 && body_expected && exchanges_.empty() && !continue_pending_) {
    if (tls_ != nullptr) {
      // A record like any other, ahead of the final response's (no write callback to await).
      if (!tls_->write(kContinueResponse) || send_tls_output() < 0) {
        close();
        return -1;
      }
      return 0;
    }
    continue_pending_ = true;
    uv_buf_t buf = uv_buf_init(const_cast<char*>(kContinueResponse.data()),
                               static_cast<unsigned>(kContinueResponse.size()));
    const int status = tcp_.write<&Connection::on_continue_written>(this, &buf, 1, kContinueWrite);
    if (status < 0) {
      // As when the write fails later (on_continue_written): the socket is unusable. Parsing
      // stops here; feed() sees the connection closing.
      continue_pending_ = false;
      close();
      return -1;
    }
  }
  return 0;
}

void Connection::on_continue_written(int status) {
  continue_pending_ = false;
  if (status < 0) close();
}

int Connection::on_body(const char* at, std::size_t length) {
  // The octets before this piece of body data are framing (chunk-size lines): checked first.
  if (!scan_framing(at)) return HPE_USER;
  if (auto error = framing_.skip_body()) return reject(400, std::move(*error));
  scan_from_ = at + length;
  body_bytes_ += length;  // read and discarded: handlers see only its length (Request::body_bytes)
  if (body_bytes_ > loop_.config().max_body_bytes) {
    return reject(413, "request body exceeds the limit of " +
                           std::to_string(loop_.config().max_body_bytes) + " bytes");
  }
  return 0;
}

int Connection::on_message_complete() {
  // A chunked body ends in framing llhttp has read but no callback has shown (the last chunk,
  // trailers, a blank line): pause so feed() checks it before the request is answered.
  if ((parser_.flags & F_CHUNKED) != 0) {
    checkpoint_ = Checkpoint::kMessageComplete;
    return HPE_PAUSED;
  }
  framing_.start_message();
  return finish_message();
}

int Connection::finish_message() {
  in_message_ = false;
  set_deadline(Deadline::kNone, 0);
  dispatch();
  if (exchanges_.at(exchanges_.size() - 1).close_after) {
    read_state_ = ReadState::kStopped;
    return HPE_PAUSED;
  }
  if (backlogged()) {
    read_state_ = ReadState::kPaused;
    return HPE_PAUSED;
  }
  return 0;
}

bool Connection::backlogged() const {
  return exchanges_.size() >= loop_.config().max_pipeline ||
         queued_bytes_ >= loop_.config().max_queued_response_bytes;
}

Exchange& Connection::begin_exchange(std::uint64_t now_ns) {
  Exchange& exchange = exchanges_.push();
  exchange.seq = next_seq_++;
  exchange.state = Exchange::State::kWaiting;
  exchange.route = RouteKind::kOther;
  exchange.ticket = 0;
  exchange.method = static_cast<std::uint8_t>(parser_.method);
  exchange.head_only = parser_.method == HTTP_HEAD;
  exchange.http10 = parser_.http_major == 1 && parser_.http_minor == 0;
  exchange.close_after = false;
  exchange.status = 0;
  exchange.start_ns = now_ns;
  if (loop_.config().access_log) exchange.target = target_;
  loop_.metrics().in_flight.add(1);
  return exchange;
}

void Connection::dispatch() {
  const std::uint64_t now = uv_hrtime();
  Exchange& exchange = begin_exchange(now);
  // An Upgrade (or CONNECT) request is answered over HTTP/1.1, and what follows it on the
  // connection is not HTTP/1.1: it is the connection's last request.
  exchange.close_after = !llhttp_should_keep_alive(&parser_) || draining_ || parser_.upgrade != 0;

  const std::string_view method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  const RouteResult result =
      route_request(method, target_,
                    RouterLimits{loop_.config().max_delay_ms, loop_.config().max_response_bytes});
  if (const auto* error = std::get_if<HttpError>(&result)) {
    respond_error(exchange, error->status, error->message, error->allow);
    return;
  }
  const Route& route = std::get<Route>(result);
  exchange.route = route.kind;
  // A handler that answers through complete() before handle() returns (instead of with
  // Reply::answer) must not write from inside llhttp's callback: the write could finish and
  // pop this request's slot under the parser. complete() only marks it ready meanwhile; the
  // read that parsed it flushes.
  dispatching_ = true;
  const Reply reply = loop_.handler(route.kind)
                          .handle(Request{ExchangeRef{id_, exchange.seq}, route, method, target_,
                                          now, body_bytes_, header_lines_});
  dispatching_ = false;
  if (reply.now) {
    respond(exchange, *reply.now);
  } else if (exchange.state == Exchange::State::kWaiting) {
    // Still this request's slot: handle() adds no request to the queue, and an answer given
    // already (through complete()) was not flushed.
    exchange.ticket = reply.ticket;
  }
}

void Connection::respond(Exchange& exchange, const Response& response) {
  // While draining, the last queued response announces the close and no further requests
  // are read; earlier ones keep their keep-alive framing.
  if (draining_ && &exchange == &exchanges_.at(exchanges_.size() - 1) && !exchange.close_after) {
    exchange.close_after = true;
    stop_requests();
  }
  // A fault ends its connection: the requests behind it are not read, nor answered.
  exchange.ending = response.ending;
  if ((response.raw || response.ending != Ending::kNone) && !exchange.close_after) {
    exchange.close_after = true;
    stop_requests();
  }
  exchange.status = response.status;
  exchange.out.clear();
  exchange.source = response.source;
  exchange.chunked = false;
  if (response.raw) {
    if (exchange.source == nullptr) exchange.out.append(response.body);
  } else {
    ResponseHead head;
    head.status = response.status;
    head.content_type = response.content_type;
    head.date = loop_.date().now();
    head.extra_headers = response.extra_headers;
    head.head_only = exchange.head_only;
    if (exchange.source != nullptr) {
      if (response.length != Response::kChunked) {
        head.framing = ResponseHead::Framing::kLength;
        head.content_length = response.length;
      } else if (exchange.http10) {
        // No chunked coding for HTTP/1.0 (RFC 9112 §7.1): the close delimits the body.
        head.framing = ResponseHead::Framing::kUntilClose;
        if (!exchange.head_only) exchange.close_after = true;
      } else {
        head.framing = ResponseHead::Framing::kChunked;
        exchange.chunked = true;
      }
    }
    head.connection = exchange.close_after ? ConnectionHeader::kClose
                      : exchange.http10    ? ConnectionHeader::kKeepAlive
                                           : ConnectionHeader::kOmit;
    append_response(exchange.out, head, exchange.source != nullptr ? "" : response.body);
  }
  exchange.state = Exchange::State::kReady;
  queued_bytes_ += exchange.out.size();
  loop_.metrics().queued_response_bytes.add(static_cast<std::int64_t>(exchange.out.size()));
  if (exchange.source != nullptr) {
    if (exchange.head_only && !response.raw) {  // a raw answer does what HEAD needs itself
      std::exchange(exchange.source, nullptr)->cancel();
    } else {
      pull(exchange);  // the first piece goes out with the head
    }
  }
}

void Connection::pull(Exchange& exchange) {
  const std::size_t before = exchange.out.size();
  BodySource::Step step;
  if (exchange.chunked) {
    std::string& piece = loop_.piece_scratch();
    piece.clear();
    step = exchange.source->produce(piece);
    if (!piece.empty()) {
      append_chunk_size(exchange.out, piece.size());
      exchange.out.append(piece).append("\r\n");
    }
    if (step == BodySource::Step::kDone) exchange.out.append("0\r\n\r\n");
    if (piece.capacity() > kPooledResponseBytes * 64) std::string().swap(piece);
  } else {
    step = exchange.source->produce(exchange.out);
  }
  if (step == BodySource::Step::kDone) exchange.source = nullptr;
  const std::size_t added = exchange.out.size() - before;
  queued_bytes_ += added;
  loop_.metrics().queued_response_bytes.add(static_cast<std::int64_t>(added));
  exchange.state = exchange.out.empty() && exchange.source != nullptr ? Exchange::State::kStreaming
                                                                      : Exchange::State::kReady;
}

void Connection::body_ready(std::uint64_t seq) {
  if (closing_ || exchanges_.empty()) return;
  // A streaming exchange has had everything before it written: it is the front one.
  Exchange& exchange = exchanges_.front();
  if (exchange.seq != seq || exchange.state != Exchange::State::kStreaming) return;
  pull(exchange);
  flush();
}

void Connection::respond_error(Exchange& exchange, int status, std::string_view message,
                               std::string_view allow) {
  respond(exchange, error_response(loop_, status, message, allow));
}

void Connection::complete(std::uint64_t seq, int status, std::string_view body,
                          std::string_view extra_headers) {
  complete(seq, Response{status, "application/json", body, extra_headers});
}

void Connection::complete(std::uint64_t seq, const Response& response) {
  if (!closing_) {
    for (std::size_t i = 0; i < exchanges_.size(); ++i) {
      Exchange& exchange = exchanges_.at(i);
      if (exchange.seq != seq) continue;
      if (exchange.state != Exchange::State::kWaiting) break;
      loop_.handler(exchange.route).answered(ExchangeRef{id_, seq}, exchange.ticket);
      respond(exchange, response);
      if (!dispatching_) flush();
      return;
    }
  }
  if (response.source != nullptr) response.source->cancel();  // nobody will ask it
}

void Connection::fail_request(int status, std::string_view message) {
  Exchange& exchange = begin_exchange(uv_hrtime());
  if (!in_message_) {
    // Refused before a request began (e.g. a bare LF ahead of it): the parser still holds the
    // previous request's method and version, which must not shape this answer (a HEAD's
    // would strip the body).
    exchange.head_only = false;
    exchange.http10 = false;
  }
  exchange.close_after = true;
  respond_error(exchange, status, message);
  stop_requests();
}

void Connection::flush() {
  // Lingering, the last response has gone and the FIN after it: answers to requests that
  // were behind it are never written.
  while (!closing_ && writing_ == 0 && read_state_ != ReadState::kLingering) {
    uv_buf_t bufs[kMaxWriteBatch];
    std::size_t count = 0;
    std::size_t bytes = 0;
    while (count < exchanges_.size() && count < kMaxWriteBatch) {
      Exchange& exchange = exchanges_.at(count);
      if (exchange.state != Exchange::State::kReady) break;
      exchange.state = Exchange::State::kWriting;
      // Responses are always longer than the small-string buffer, so their bytes live on the
      // heap and stay put even if the queue grows and moves the strings during the write.
      // (A fault's may be empty, or short: it ends the batch, written before anything grows.)
      bufs[count++] = uv_buf_init(exchange.out.data(), static_cast<unsigned>(exchange.out.size()));
      bytes += exchange.out.size();
      // After a body still being produced, the next response waits for its last piece.
      if (exchange.close_after || exchange.source != nullptr) break;
    }
    if (count == 0) break;
    writing_ = count;
    if (bytes == 0) {  // a fault's empty answer: nothing to send, only its ending
      if (finish_writes()) return;
      continue;
    }
    if (tls_ != nullptr) {
      const int sent = write_tls(bufs, count);
      if (sent < 0) {
        close();
        return;
      }
      if (sent == 0) return;  // on_tls_written finishes these exchanges
      if (finish_writes()) return;
      continue;
    }
    // Most responses fit in the socket buffer: write them now and finish synchronously, which
    // saves a write request and a loop iteration per response. Whatever does not fit goes
    // through uv_write, which keeps the order (and returns EAGAIN here while one is queued).
    const int written = tcp_.try_write(bufs, static_cast<unsigned>(count));
    if (written < 0 && written != UV_EAGAIN) {
      close();
      return;
    }
    if (written >= 0 && static_cast<std::size_t>(written) == bytes) {
      if (finish_writes()) return;
      continue;
    }
    std::size_t skip = written > 0 ? static_cast<std::size_t>(written) : 0;
    std::size_t first = 0;
    while (skip >= bufs[first].len) skip -= bufs[first++].len;
    bufs[first].base += skip;
    bufs[first].len -= skip;
    const int status = tcp_.write<&Connection::on_write>(
        this, bufs + first, static_cast<unsigned>(count - first), kResponseWrite);
    if (status < 0) {
      close();
      return;
    }
    // A client that reads nothing would hold these responses (and its connection) forever:
    // one that has not taken them within the keep-alive timeout is treated as gone.
    write_timer_.start<&Connection::on_write_stalled>(this, loop_.config().keepalive_timeout_ms);
    return;
  }
  after_idle_change();
}

void Connection::on_write(int status) {
  write_timer_.stop();
  // A write that had completed before close() is reported from the close with status 0: what
  // it finished was settled by close() already (queued bytes, gauges).
  if (closing_) return;
  if (status < 0) {
    close();  // reset by the peer, or cancelled because we are closing
    return;
  }
  if (!finish_writes()) flush();
}

bool Connection::finish_writes() {
  const std::uint64_t now = uv_hrtime();
  bool close_after = false;
  Ending ending = Ending::kNone;
  std::size_t finished = 0;
  bool pulled = false;
  for (std::size_t i = 0; i < writing_; ++i) {
    Exchange& exchange = exchanges_.front();
    if (exchange.source != nullptr) {
      // Its body goes on (it is the batch's last): the written piece makes room for the next.
      queued_bytes_ -= exchange.out.size();
      loop_.metrics().queued_response_bytes.add(-static_cast<std::int64_t>(exchange.out.size()));
      exchange.out.clear();
      pull(exchange);
      pulled = true;
      break;
    }
    ++finished;
    if (exchange.ending != Ending::kNone) ending = exchange.ending;
    const std::uint64_t duration = now - exchange.start_ns;
    loop_.metrics().record_response(exchange.route, exchange.status, duration);
    if (loop_.config().access_log) {
      spdlog::info("{} {} {} {:.3f}ms conn={}",
                   llhttp_method_name(static_cast<llhttp_method_t>(exchange.method)),
                   exchange.target, exchange.status, static_cast<double>(duration) / 1e6, id_);
    }
    close_after = close_after || exchange.close_after;
    queued_bytes_ -= exchange.out.size();
    loop_.metrics().queued_response_bytes.add(-static_cast<std::int64_t>(exchange.out.size()));
    if (exchange.out.capacity() > kPooledResponseBytes) {
      loop_.note_freed(exchange.out.capacity());
      std::string().swap(exchange.out);
    }
    exchanges_.pop_front();
  }
  loop_.metrics().in_flight.add(-static_cast<std::int64_t>(finished));
  writing_ = 0;
  // A streamed answer that waited behind others (a slow-headers fault pipelined after a /N)
  // may have missed its body_ready, which only reaches the front exchange: now in front, its
  // source is asked again (it waits again if nothing is due yet).
  if (!pulled && finished > 0 && !exchanges_.empty() &&
      exchanges_.front().state == Exchange::State::kStreaming) {
    pull(exchanges_.front());
  }
  if (ending == Ending::kReset) {
    abort();
    return true;
  }
  if (close_after) {
    start_lingering_close();
    return true;
  }
  if (read_state_ == ReadState::kPaused && !backlogged()) resume_reading();
  return false;
}

void Connection::after_idle_change() {
  // A header deadline still running here was started by bytes that began no message yet
  // (empty lines): they are the start of the next request, not idleness.
  if (closing_ || read_state_ != ReadState::kReading || !exchanges_.empty() || in_message_ ||
      deadline_ == Deadline::kHeaders) {
    return;
  }
  if (draining_) {
    close();
    return;
  }
  set_deadline(Deadline::kIdle, loop_.config().keepalive_timeout_ms);
}

void Connection::set_deadline(Deadline kind, std::uint64_t timeout_ms) {
  deadline_ = kind;
  if (kind == Deadline::kNone) return;  // a running timer finds nothing to do and stops
  deadline_at_ms_ = uv_now(loop_.loop()) + timeout_ms;
  // Re-arm only when the new deadline is earlier than the armed one. A keep-alive connection
  // alternates header and idle deadlines on every request; moving the timer each time would
  // cost several timer-heap operations per request, so a timer that fires early re-arms.
  if (!deadline_timer_.active() || deadline_at_ms_ < deadline_armed_ms_) {
    deadline_armed_ms_ = deadline_at_ms_;
    deadline_timer_.start<&Connection::on_deadline_timer>(this, timeout_ms);
  }
}

void Connection::on_deadline_timer() {
  if (deadline_ == Deadline::kNone) return;
  const std::uint64_t now = uv_now(loop_.loop());
  if (now < deadline_at_ms_) {
    deadline_armed_ms_ = deadline_at_ms_;
    deadline_timer_.start<&Connection::on_deadline_timer>(this, deadline_at_ms_ - now);
    return;
  }
  const Deadline expired = std::exchange(deadline_, Deadline::kNone);
  switch (expired) {
    case Deadline::kHeaders:
      on_header_timeout();
      break;
    case Deadline::kIdle:
      on_idle_timeout();
      break;
    case Deadline::kLinger:
      close();
      break;
    case Deadline::kNone:
      break;
  }
}

void Connection::on_header_timeout() {
  loop_.metrics().header_timeouts.add();
  if (tls_ != nullptr && !tls_->handshake_done()) {
    // No session yet to carry a 408: the client is cut off, as a slow one would be.
    count_tls_failure(static_cast<int>(TlsFailureReason::kTimeout));
    close();
    return;
  }
  fail_request(408, "request not received within " +
                        std::to_string(loop_.config().header_timeout_ms) + " ms");
  flush();
}

void Connection::on_write_stalled() {
  loop_.metrics().idle_timeouts.add();
  spdlog::debug("connection {}: the client read none of its responses in {} ms; closing", id_,
                loop_.config().keepalive_timeout_ms);
  close();
}

void Connection::on_idle_timeout() {
  loop_.metrics().idle_timeouts.add();
  close();
}

void Connection::begin_drain() {
  draining_ = true;
  if (exchanges_.empty() && !in_message_) close();
}

void Connection::start_lingering_close() {
  read_state_ = ReadState::kLingering;
  if (tls_ != nullptr) {
    tls_->shutdown();  // close_notify ahead of the FIN (RFC 8446 §6.1)
    const int sent = send_tls_output();
    if (sent < 0) {
      close();
      return;
    }
    if (sent == 0) return;  // on_tls_written sends the FIN once it has left
  }
  send_fin();
}

void Connection::send_fin() {
  const int status = tcp_.shutdown();
  if (status < 0) {
    close();
    return;
  }
  set_reading(true);
  set_deadline(Deadline::kLinger, kLingerMs);
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  // The client has gone: the handlers stop what they still do for it (a handler answers
  // every request that is still kWaiting later; errors and immediate answers are kReady).
  for (std::size_t i = 0; i < exchanges_.size(); ++i) {
    Exchange& exchange = exchanges_.at(i);
    if (exchange.state == Exchange::State::kWaiting && exchange.route != RouteKind::kOther) {
      loop_.handler(exchange.route).cancel(ExchangeRef{id_, exchange.seq}, exchange.ticket);
    }
    if (exchange.source != nullptr) std::exchange(exchange.source, nullptr)->cancel();
  }
  deadline_timer_.stop();
  write_timer_.stop();
  loop_.metrics().in_flight.add(-static_cast<std::int64_t>(exchanges_.size()));
  loop_.metrics().queued_response_bytes.add(-static_cast<std::int64_t>(queued_bytes_));
  queued_bytes_ = 0;
  loop_.forget(this);
  // A closing TLS connection says so (close_notify), if the socket takes it now.
  if (tls_ != nullptr && !tls_write_pending_ && !aborting_) {
    tls_->shutdown();
    const auto pending = tls_->pending_output();
    uv_buf_t buf =
        uv_buf_init(const_cast<char*>(pending.data()), static_cast<unsigned>(pending.size()));
    if (buf.len > 0) tcp_.try_write(&buf, 1);
  }
  // Cancelled writes call back first, then on_closed frees this connection.
  tcp_.close<&Connection::on_closed>(this);
  // The socket's descriptor is closed now (uv_close does it at once), its buffers soon.
  loop_.connection_closed(exchanges_.buffer_bytes() + pending_input_.capacity() +
                          tls_out_.capacity());
}

void Connection::abort() {
  // What uv_tcp_close_reset does, through the one close this connection has: with a zero
  // linger time, closing the descriptor sends RST and drops whatever is unsent.
  // Over TLS no close_notify goes first: the client is to see a reset, not a clean end.
  aborting_ = true;
  tcp_.linger_zero();
  close();
}

void Connection::on_closed() { delete this; }

}  // namespace loadlab::server
