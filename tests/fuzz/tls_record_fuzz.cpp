// Fuzz target: a server TlsSession fed arbitrary bytes, in pieces as reads split them:
// garbage before a handshake, after a real ClientHello (garbage during the handshake), or
// after a finished handshake (garbage instead of records). It must never crash or leak, a
// failure must carry a kind and a message, and reads must stay within their buffer.
//   data[0]: bits 0-5 the piece size - 1, bits 6-7 the mode (0 raw, 1 after a ClientHello,
//   2 after a handshake, 3 the ClientHello XORed with the input)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/tls_context.h"
#include "common/tls_self_signed.h"
#include "common/tls_session.h"

namespace {

using loadlab::TlsSession;

struct Contexts {
  Contexts()
      : certificate(options()),
        server(loadlab::TlsContext::server(certificate)),
        client(make_client()) {}
  static loadlab::SelfSignedOptions options() {
    loadlab::SelfSignedOptions result;
    result.names = {"localhost"};
    return result;
  }
  static loadlab::TlsContext make_client() {
    loadlab::TlsClientOptions result;
    result.verify = false;
    result.session_resumption = false;
    return loadlab::TlsContext::client(result);
  }
  loadlab::SelfSignedCertificate certificate;
  loadlab::TlsContext server;
  loadlab::TlsContext client;
};

void check(const TlsSession& session) {
  if (session.failed() && session.failure().message.empty()) std::abort();
  if (!session.failed() && session.failure().kind != loadlab::TlsFailureKind::kNone) std::abort();
}

// Reads what the session will give; returns false once it failed or closed.
bool read_all(TlsSession& session) {
  char buffer[1024];
  for (int i = 0; i < 1000; ++i) {
    const auto result = session.read(buffer);
    check(session);
    if (result.status == TlsSession::ReadStatus::kData) {
      if (result.bytes == 0 || result.bytes > sizeof buffer) std::abort();
      continue;
    }
    if (result.bytes != 0) std::abort();
    if (result.status == TlsSession::ReadStatus::kFailed && !session.failed()) std::abort();
    return result.status == TlsSession::ReadStatus::kNeedMore;
  }
  return true;
}

void pump(TlsSession& from, TlsSession& to) {
  const auto pending = from.pending_output();
  to.feed({pending.data(), pending.size()});
  from.consume_output(pending.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Contexts contexts;
  if (size == 0) return 0;
  const std::size_t piece = 1 + (data[0] & 0x3f);
  const int mode = data[0] >> 6;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  TlsSession server(contexts.server);
  if (mode != 0) {
    TlsSession client(contexts.client, "localhost", 443, nullptr);
    client.handshake();
    if (mode == 3) {
      std::string hello(client.pending_output().data(), client.pending_output_bytes());
      for (std::size_t i = 0; i < hello.size() && i < input.size(); ++i)
        hello[i] = static_cast<char>(hello[i] ^ input[i]);
      server.feed(hello);
      input = {};
    } else {
      pump(client, server);
      if (mode == 2) {
        for (int round = 0; round < 4 && !(client.handshake_done() && server.handshake_done());
             ++round) {
          server.handshake();
          pump(server, client);
          client.handshake();
          pump(client, server);
        }
      }
    }
  }
  bool alive = read_all(server);
  while (alive && !input.empty()) {
    const std::size_t n = input.size() < piece ? input.size() : piece;
    server.feed(input.substr(0, n));
    input.remove_prefix(n);
    alive = read_all(server);
    server.consume_output(server.pending_output_bytes());
  }
  if (server.handshake_done() && !server.failed()) {
    if (!server.write("HTTP/1.1 200 OK\r\n\r\n")) std::abort();
    server.shutdown();
  } else if (server.write("x")) {
    std::abort();  // no plaintext before the handshake, none after a failure
  }
  server.transport_closed();
  check(server);
  if (!server.handshake_done() && !server.failed()) std::abort();  // EOF mid-handshake is a failure
  return 0;
}
