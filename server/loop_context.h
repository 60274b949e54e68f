// One event-loop thread of the server: its uv loop, its SO_REUSEPORT listener, the
// connections it accepted, and the per-loop scratch space their requests reuse.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/busy_poll.h"
#include "common/http_date.h"
#include "common/uv_handle.h"
#include "server/handlers/handler.h"
#include "server/listener.h"
#include "server/prime_service.h"
#include "server/route_table.h"
#include "server/shared_state.h"

namespace loadlab::server {

class Connection;

class LoopContext {
 public:
  // Binds the listeners (so start-up errors surface on the main thread) but does not listen
  // yet. `tls_address` (null: no HTTPS) gets a second listener whose connections speak TLS.
  LoopContext(SharedState& shared, unsigned index, const sockaddr* address,
              const sockaddr* tls_address = nullptr);
  ~LoopContext();
  LoopContext(const LoopContext&) = delete;
  LoopContext& operator=(const LoopContext&) = delete;

  std::uint16_t bound_port() const;
  std::uint16_t bound_tls_port() const;

  // Starts accepting (on the main thread, before run(), so a failure stops start-up).
  void listen();
  // Runs the loop on the calling thread until it is drained, spinning before it sleeps while
  // requests come close together (--busy-poll-us).
  void run() { run_busy_polling(loop_.get(), shared_.config.busy_poll_us * 1000); }

  // Thread-safe: ask the loop to stop accepting and finish in-flight requests, or to close
  // every connection now (the drain timeout expired).
  void request_drain() { drain_signal_.send(); }
  void request_close_all() { close_all_signal_.send(); }

  // --- loop-thread API for connections and services ---
  uv_loop_t* loop() { return loop_.get(); }
  unsigned index() const { return index_; }
  const ServerConfig& config() const { return shared_.config; }
  SharedState& shared() { return shared_; }
  LoopMetrics& metrics() { return metrics_; }
  HttpDate& date() { return date_; }
  std::string& body_scratch() { return body_scratch_; }
  std::string& header_scratch() { return header_scratch_; }
  uv_buf_t read_buffer() {
    return uv_buf_init(read_buffer_.data(), static_cast<unsigned>(read_buffer_.size()));
  }
  bool draining() const { return draining_; }
  // The handler of a route (not kOther), one per loop.
  Handler& handler(RouteKind kind) { return *handlers_[static_cast<std::size_t>(kind)]; }

  void forget(Connection* connection);
  // A connection has closed its socket, and will free about `buffer_bytes` of heap.
  void connection_closed(std::size_t buffer_bytes);
  // A /prime job of this loop's connections was handed to the pool (+1) or answered or
  // cancelled (-1). While any is outstanding the loop stays alive for its answer: a draining
  // loop whose connections are not reading would otherwise exit under the client's request.
  void prime_jobs_outstanding(int delta);
  // Heap just freed (large response buffers): returned to the system once enough has been.
  void note_freed(std::size_t bytes);

  // Delivers an asynchronous result to the exchange it belongs to; dropped if the client left.
  void complete(ExchangeRef ref, int status, std::string_view body, std::string_view extra_headers);
  // The same with any response (a streamed body, a fault); a source it carries is cancelled
  // if the client left.
  void complete(ExchangeRef ref, const Response& response);
  // A body source that said kWait has a piece now (BodySource).
  void body_ready(ExchangeRef ref);
  // Where a connection has a chunked body's next piece produced before framing it.
  std::string& piece_scratch() { return piece_scratch_; }

  // Thread-safe: a result computed elsewhere (the /prime pool), delivered through complete()
  // on this loop's thread.
  struct Completion {
    ExchangeRef ref;
    int status;
    std::string body;
    std::string extra_headers;
  };
  void post(Completion completion);

 private:
  void on_accepted(int fd, bool tls);
  void stop_listening();
  void on_trim_timer();
  void on_drain_requested();
  void on_close_all_requested();
  void on_mailbox();

  SharedState& shared_;
  unsigned index_;
  LoopMetrics& metrics_;
  EventLoop loop_;  // declared before every handle so it is destroyed after them
  std::unique_ptr<Listener> listener_;      // null once draining
  std::unique_ptr<Listener> tls_listener_;  // null once draining, or without HTTPS
  AsyncSignal drain_signal_;
  AsyncSignal close_all_signal_;
  AsyncSignal mailbox_signal_;
  std::mutex mailbox_mutex_;
  std::vector<Completion> mailbox_;
  std::unordered_map<std::uint64_t, Connection*> connections_;
  std::uint64_t next_connection_id_ = 1;
  bool draining_ = false;
  Timer trim_timer_;
  std::size_t freed_since_trim_ = 0;
  HttpDate date_;
  std::array<std::unique_ptr<Handler>, kRouteKinds> handlers_;  // after loop_: they own timers
  std::vector<char> read_buffer_;
  std::string body_scratch_;
  int prime_jobs_outstanding_ = 0;
  std::string header_scratch_;
  std::string piece_scratch_;
};

}  // namespace loadlab::server
