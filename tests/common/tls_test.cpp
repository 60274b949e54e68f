// The TLS layer with no sockets: a client and a server session pump bytes to each other in
// memory (in small pieces, as reads split them).
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/tls_context.h"
#include "common/tls_error.h"
#include "common/tls_first_bytes.h"
#include "common/tls_input_buffer.h"
#include "common/tls_self_signed.h"
#include "common/tls_session.h"
#include "common/tls_session_cache.h"

namespace loadlab {
namespace {

using Handshake = TlsSession::Handshake;
using ReadStatus = TlsSession::ReadStatus;

// A directory of its own per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "loadlab-tls-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = (path_ / name).string();
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

SelfSignedCertificate make_cert(std::vector<std::string> names = {"localhost", "127.0.0.1"}) {
  SelfSignedOptions options;
  options.names = std::move(names);
  return SelfSignedCertificate(options);
}

// Moves `from`'s ciphertext to `to`, at most `piece` bytes per feed.
void transfer(TlsSession& from, TlsSession& to, std::size_t piece = 1000) {
  while (from.pending_output_bytes() > 0) {
    const auto pending = from.pending_output();
    const std::size_t n = std::min(piece, pending.size());
    to.feed({pending.data(), n});
    from.consume_output(n);
  }
}

// Reads every plaintext byte available; returns the last status that was not kData.
ReadStatus drain(TlsSession& session, std::string& into) {
  char buffer[16384];
  for (;;) {
    const auto result = session.read(buffer);
    if (result.status != ReadStatus::kData) return result.status;
    into.append(buffer, result.bytes);
  }
}

// Runs both handshakes to the end (or a failure), then lets each side read what follows
// (TLS 1.3 tickets, alerts). True when both finished.
bool connect(TlsSession& client, TlsSession& server) {
  for (int round = 0; round < 20; ++round) {
    const auto c = client.handshake();
    transfer(client, server);
    const auto s = server.handshake();
    transfer(server, client);
    if (c == Handshake::kFailed || s == Handshake::kFailed) break;
    if (c == Handshake::kDone && s == Handshake::kDone) break;
  }
  std::string ignored;
  for (int round = 0; round < 3; ++round) {
    drain(client, ignored);
    transfer(client, server);
    drain(server, ignored);
    transfer(server, client);
  }
  return client.handshake_done() && server.handshake_done() && !client.failed() && !server.failed();
}

TlsServerOptions server_options(TlsVersion version) {
  TlsServerOptions options;
  options.min_version = version;
  options.max_version = version;
  return options;
}

TlsClientOptions trusting(const std::string& ca_file) {
  TlsClientOptions options;
  options.ca_file = ca_file;
  return options;
}

TlsClientOptions insecure() {
  TlsClientOptions options;
  options.verify = false;
  return options;
}

// A server session and a client session that trusts any certificate: what the tests of the
// record layer start from.
struct Sessions {
  explicit Sessions(TlsVersion version)
      : server_context(TlsContext::server(cert, server_options(version))),
        client_context(TlsContext::client(insecure())) {}
  const SelfSignedCertificate cert = make_cert();
  const TlsContext server_context;
  const TlsContext client_context;
  TlsSession server{server_context};
  TlsSession client{client_context, "localhost", 443, nullptr};
};

class TlsVersions : public ::testing::TestWithParam<TlsVersion> {};
INSTANTIATE_TEST_SUITE_P(Tls, TlsVersions, ::testing::Values(TlsVersion::k1_2, TlsVersion::k1_3),
                         [](const ::testing::TestParamInfo<TlsVersion>& version) {
                           return version.param == TlsVersion::k1_2 ? "v1_2" : "v1_3";
                         });

TEST_P(TlsVersions, HandshakesNegotiatesHttp11AndCarriesDataBothWays) {
  TempDir dir;
  const auto cert = make_cert();
  const auto server_context = TlsContext::server(cert, server_options(GetParam()));
  const auto client_context =
      TlsContext::client(trusting(dir.write("ca.pem", cert.certificate_pem())));
  TlsSession server(server_context);
  TlsSession client(client_context, "localhost", 443, nullptr);
  ASSERT_TRUE(connect(client, server))
      << client.failure().message << " / " << server.failure().message;
  const char* expected = GetParam() == TlsVersion::k1_2 ? "TLSv1.2" : "TLSv1.3";
  EXPECT_EQ(client.version(), expected);
  EXPECT_EQ(server.version(), expected);
  EXPECT_EQ(client.alpn(), "http/1.1");
  EXPECT_EQ(server.alpn(), "http/1.1");
  EXPECT_EQ(server.server_name(), "localhost");
  EXPECT_EQ(server.first_bytes(), FirstBytes::kTls);

  ASSERT_TRUE(client.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  transfer(client, server, 7);
  std::string request;
  EXPECT_EQ(drain(server, request), ReadStatus::kNeedMore);
  EXPECT_EQ(request, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  ASSERT_TRUE(server.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  transfer(server, client, 3);
  std::string response;
  EXPECT_EQ(drain(client, response), ReadStatus::kNeedMore);
  EXPECT_EQ(response, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");

  // close_notify: the peer sees a clean close, not an error.
  server.shutdown();
  transfer(server, client);
  EXPECT_EQ(drain(client, response), ReadStatus::kClosed);
  EXPECT_FALSE(client.failed());
  EXPECT_FALSE(server.write("late")) << "no writes after shutdown";
}

TEST_P(TlsVersions, LargeWritesGoThroughInPieces) {
  Sessions sessions(GetParam());
  TlsSession& server = sessions.server;
  TlsSession& client = sessions.client;
  ASSERT_TRUE(connect(client, server));
  std::string body(1 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 131 % 251);
  ASSERT_TRUE(server.write(body));
  // A backed-up socket: everything waits in the session, nothing is lost.
  EXPECT_GT(server.pending_output_bytes(), body.size());
  std::string received;
  while (server.pending_output_bytes() > 0) {
    const auto pending = server.pending_output();
    const std::size_t n = std::min<std::size_t>(4096, pending.size());
    client.feed({pending.data(), n});
    server.consume_output(n);
    EXPECT_EQ(drain(client, received), ReadStatus::kNeedMore);
  }
  EXPECT_TRUE(received == body) << received.size() << " bytes received";
}

// read() skips SSL_read when nothing was fed since the last one: a record decrypted into a
// smaller buffer than its plaintext must still come out whole, from inside OpenSSL.
TEST_P(TlsVersions, ARecordReadIntoASmallBufferComesOutWhole) {
  Sessions sessions(GetParam());
  TlsSession& server = sessions.server;
  TlsSession& client = sessions.client;
  ASSERT_TRUE(connect(client, server));
  const std::string body(10000, 'b');
  ASSERT_TRUE(server.write(body));
  transfer(server, client, 1 << 20);  // the whole record in one feed
  std::string received;
  char small[100];
  for (int reads = 0; reads < 1000; ++reads) {
    const auto result = client.read(small);
    if (result.status != ReadStatus::kData) {
      EXPECT_EQ(result.status, ReadStatus::kNeedMore);
      break;
    }
    received.append(small, result.bytes);
  }
  EXPECT_EQ(received.size(), body.size());
  // Half a record: nothing yet, then the rest brings it.
  ASSERT_TRUE(server.write("second"));
  const auto pending = server.pending_output();
  const std::string record(pending.data(), pending.size());
  server.consume_output(record.size());
  client.feed(record.substr(0, record.size() / 2));
  std::string second;
  EXPECT_EQ(drain(client, second), ReadStatus::kNeedMore);
  EXPECT_EQ(second, "");
  client.feed(record.substr(record.size() / 2));
  EXPECT_EQ(drain(client, second), ReadStatus::kNeedMore);
  EXPECT_EQ(second, "second");
}

// The session's input queue (its own BIO, not a memory BIO): records fed in odd pieces, some
// holding the end of one record and the start of the next, with reads between the feeds, come
// out whole and in order; running dry is "need more", never an end; close_notify is the end.
TEST_P(TlsVersions, RecordsFedInOddPiecesComeOutInOrderAndCloseNotifyEndsThem) {
  Sessions sessions(GetParam());
  TlsSession& server = sessions.server;
  TlsSession& client = sessions.client;
  ASSERT_TRUE(connect(client, server));
  std::string sent;
  for (int i = 0; i < 40; ++i) {
    const std::string message(static_cast<std::size_t>(1 + i * 37 % 3000),
                              static_cast<char>('a' + i % 26));
    ASSERT_TRUE(client.write(message));
    sent += message;
  }
  client.shutdown();
  const auto pending = client.pending_output();
  const std::string ciphertext(pending.data(), pending.size());
  client.consume_output(ciphertext.size());
  std::string received;
  ReadStatus last = ReadStatus::kNeedMore;
  for (std::size_t at = 0, piece = 1; at < ciphertext.size();
       at += piece, piece = piece * 7 % 1013) {
    EXPECT_EQ(last, ReadStatus::kNeedMore);
    server.feed(std::string_view(ciphertext).substr(at, piece));
    last = drain(server, received);
  }
  EXPECT_EQ(last, ReadStatus::kClosed);
  EXPECT_FALSE(server.failed()) << server.failure().message;
  EXPECT_EQ(received, sent);
}

// Sessions do not clear the error queue before every SSL_read and SSL_write (it is costly), only
// when something is in it: an error some other code left on the thread must not be taken for a
// failure of this session.
TEST_P(TlsVersions, AStaleErrorOnTheThreadDoesNotFailASession) {
  Sessions sessions(GetParam());
  TlsSession& server = sessions.server;
  TlsSession& client = sessions.client;
  ASSERT_TRUE(connect(client, server));
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);  // someone else's failure, never collected
  ASSERT_TRUE(client.write("ping"));
  const auto pending = client.pending_output();
  const std::string record(pending.data(), pending.size());
  client.consume_output(record.size());
  server.feed(record.substr(0, 3));  // not a whole record: SSL_read wants more
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
  std::string received;
  EXPECT_EQ(drain(server, received), ReadStatus::kNeedMore);
  EXPECT_FALSE(server.failed()) << server.failure().message;
  server.feed(record.substr(3));
  EXPECT_EQ(drain(server, received), ReadStatus::kNeedMore);
  EXPECT_EQ(received, "ping");
  ERR_clear_error();
}

TEST_P(TlsVersions, ResumesWithTheClientCacheAndNotWhenTurnedOff) {
  const auto cert = make_cert();
  const auto server_context = TlsContext::server(cert, server_options(GetParam()));
  const auto client_context = TlsContext::client(insecure());
  TlsSessionCache cache;
  {
    TlsSession server(server_context);
    TlsSession client(client_context, "localhost", 8443, &cache);
    ASSERT_TRUE(connect(client, server));
    EXPECT_FALSE(client.resumed());
  }
  EXPECT_EQ(cache.size(), 1u);
  {
    TlsSession server(server_context);
    TlsSession client(client_context, "localhost", 8443, &cache);
    ASSERT_TRUE(connect(client, server));
    EXPECT_TRUE(client.resumed());
    EXPECT_TRUE(server.resumed());
  }
  {  // another target: no session of its own yet
    TlsSession server(server_context);
    TlsSession client(client_context, "localhost", 9443, &cache);
    ASSERT_TRUE(connect(client, server));
    EXPECT_FALSE(client.resumed());
  }

  TlsClientOptions off = insecure();
  off.session_resumption = false;
  const auto no_resumption = TlsContext::client(off);
  TlsSessionCache unused;
  for (int i = 0; i < 2; ++i) {
    TlsSession server(server_context);
    TlsSession client(no_resumption, "localhost", 8443, &unused);
    ASSERT_TRUE(connect(client, server));
    EXPECT_FALSE(client.resumed()) << "connection " << i;
  }
  EXPECT_EQ(unused.size(), 0u);
}

TEST(TlsVerify, SelfSignedAgainstTheSystemStoreIsAnUnknownIssuer) {
  const auto cert = make_cert();
  const auto server_context = TlsContext::server(cert);
  const auto client_context = TlsContext::client();  // verification on, system store
  TlsSession server(server_context);
  TlsSession client(client_context, "localhost", 443, nullptr);
  EXPECT_FALSE(connect(client, server));
  EXPECT_EQ(client.failure().kind, TlsFailureKind::kVerifyUnknownIssuer)
      << client.failure().message;
  EXPECT_NE(client.failure().message.find("self-signed"), std::string::npos)
      << client.failure().message;
  EXPECT_STREQ(to_string(client.failure().kind), "unknown_issuer");
  EXPECT_TRUE(server.failed());  // the client's alert
}

TEST(TlsVerify, ATrustedCertificateForAnotherNameIsANameMismatch) {
  TempDir dir;
  const auto cert = make_cert({"localhost", "127.0.0.1"});
  const auto server_context = TlsContext::server(cert);
  const auto client_context =
      TlsContext::client(trusting(dir.write("ca.pem", cert.certificate_pem())));
  for (const char* host : {"example.test", "127.0.0.2"}) {
    TlsSession server(server_context);
    TlsSession client(client_context, host, 443, nullptr);
    EXPECT_FALSE(connect(client, server));
    EXPECT_EQ(client.failure().kind, TlsFailureKind::kVerifyNameMismatch)
        << host << ": " << client.failure().message;
    EXPECT_NE(client.failure().message.find(host), std::string::npos) << client.failure().message;
  }
  TlsSession server(server_context);
  TlsSession client(client_context, "127.0.0.1", 443, nullptr);  // an IP SAN matches
  EXPECT_TRUE(connect(client, server)) << client.failure().message;
  EXPECT_EQ(server.server_name(), "") << "no SNI for an IP address (RFC 6066 §3)";
}

TEST(TlsVerify, AnExpiredTrustedCertificateIsExpired) {
  TempDir dir;
  SelfSignedOptions options;
  options.names = {"localhost"};
  options.not_before = -std::chrono::hours(48);
  options.validity = std::chrono::hours(24);
  const SelfSignedCertificate cert(options);
  const auto server_context = TlsContext::server(cert);
  const auto client_context =
      TlsContext::client(trusting(dir.write("ca.pem", cert.certificate_pem())));
  TlsSession server(server_context);
  TlsSession client(client_context, "localhost", 443, nullptr);
  EXPECT_FALSE(connect(client, server));
  EXPECT_EQ(client.failure().kind, TlsFailureKind::kVerifyExpired) << client.failure().message;
  EXPECT_NE(client.failure().message.find("expired"), std::string::npos)
      << client.failure().message;
}

TEST(TlsVerify, InsecureModeAcceptsAllOfThem) {
  SelfSignedOptions expired;
  expired.names = {"localhost"};
  expired.not_before = -std::chrono::hours(48);
  expired.validity = std::chrono::hours(24);
  const auto client_context = TlsContext::client(insecure());
  for (const auto& cert :
       {make_cert(), make_cert({"other.test"}), SelfSignedCertificate(expired)}) {
    const auto server_context = TlsContext::server(cert);
    TlsSession server(server_context);
    TlsSession client(client_context, "localhost", 443, nullptr);
    EXPECT_TRUE(connect(client, server)) << client.failure().message;
  }
}

TEST(TlsClientCertificate, AServerThatRequiresOneGetsIt) {
  TempDir dir;
  const auto server_cert = make_cert();
  const auto client_cert = make_cert({"client.test"});
  TlsServerOptions server_options;
  server_options.client_ca_file = dir.write("clients.pem", client_cert.certificate_pem());
  const auto server_context = TlsContext::server(server_cert, server_options);
  TlsClientOptions with_cert = insecure();
  with_cert.cert_file = dir.write("client.pem", client_cert.certificate_pem());
  with_cert.key_file = dir.write("client.key", client_cert.private_key_pem());
  const auto client_context = TlsContext::client(with_cert);
  {
    TlsSession server(server_context);
    TlsSession client(client_context, "localhost", 443, nullptr);
    EXPECT_TRUE(connect(client, server))
        << client.failure().message << " / " << server.failure().message;
  }
  for (const bool other_cert : {false, true}) {
    TlsClientOptions options = insecure();
    const auto stranger = make_cert({"stranger.test"});
    if (other_cert) {
      options.cert_file = dir.write("stranger.pem", stranger.certificate_pem());
      options.key_file = dir.write("stranger.key", stranger.private_key_pem());
    }
    const auto context = TlsContext::client(options);
    TlsSession server(server_context);
    TlsSession client(context, "localhost", 443, nullptr);
    EXPECT_FALSE(connect(client, server));
    EXPECT_TRUE(server.failed());
    EXPECT_TRUE(client.failed()) << "the server's alert reaches the client";
    if (other_cert) {
      EXPECT_EQ(server.failure().kind, TlsFailureKind::kVerifyUnknownIssuer)
          << server.failure().message;
      EXPECT_NE(server.failure().message.find("client's"), std::string::npos)
          << server.failure().message;
    } else {
      EXPECT_EQ(server.failure().kind, TlsFailureKind::kHandshake) << server.failure().message;
    }
  }
}

TEST(TlsServerInput, PlainHttpIsNotTlsAndSaysSo) {
  const auto cert = make_cert();
  const auto context = TlsContext::server(cert);
  TlsSession server(context);
  server.feed("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(server.handshake(), Handshake::kFailed);
  EXPECT_EQ(server.failure().kind, TlsFailureKind::kNotTls);
  EXPECT_EQ(server.first_bytes(), FirstBytes::kPlainHttp);
  EXPECT_NE(server.failure().message.find("plain HTTP"), std::string::npos)
      << server.failure().message;
}

TEST(TlsServerInput, GarbageIsNotTlsEvenBeforeARecordHeader) {
  const auto cert = make_cert();
  const auto context = TlsContext::server(cert);
  for (const std::string& garbage :
       {std::string("\x01\x02"), std::string("\x16\x04\x00\x00\x00\x00", 6), std::string(" GET /"),
        std::string(64, 'A')}) {
    TlsSession server(context);
    server.feed(garbage);
    EXPECT_EQ(server.handshake(), Handshake::kFailed) << garbage.size();
    EXPECT_EQ(server.failure().kind, TlsFailureKind::kNotTls) << server.failure().message;
    EXPECT_EQ(server.first_bytes(), FirstBytes::kGarbage);
    std::string ignored;
    EXPECT_EQ(drain(server, ignored), ReadStatus::kFailed);
    EXPECT_FALSE(server.write("x"));
  }
}

TEST(TlsServerInput, TruncatedAndCorruptRecordsFailWithoutCrashing) {
  const auto cert = make_cert();
  const auto server_context = TlsContext::server(cert);
  const auto client_context = TlsContext::client(insecure());
  TlsSession client(client_context, "localhost", 443, nullptr);
  EXPECT_EQ(client.handshake(), Handshake::kNeedMore);
  const auto hello = client.pending_output();
  const std::string client_hello(hello.data(), hello.size());
  ASSERT_GT(client_hello.size(), 100u);

  {  // half a ClientHello, then the connection closes
    TlsSession server(server_context);
    server.feed(std::string_view(client_hello).substr(0, client_hello.size() / 2));
    EXPECT_EQ(server.handshake(), Handshake::kNeedMore);
    server.transport_closed();
    EXPECT_EQ(server.failure().kind, TlsFailureKind::kEof);
  }
  {  // a record header announcing more than TLS allows
    TlsSession server(server_context);
    server.feed(std::string("\x16\x03\x01\xff\xff", 5) + std::string(100, 'x'));
    EXPECT_EQ(server.handshake(), Handshake::kFailed);
    EXPECT_TRUE(server.failed());
  }
  {  // a ClientHello with its body corrupted
    TlsSession server(server_context);
    std::string corrupt = client_hello;
    for (std::size_t i = 9; i < corrupt.size(); i += 3)
      corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
    server.feed(corrupt);
    EXPECT_EQ(server.handshake(), Handshake::kFailed);
    EXPECT_EQ(server.failure().kind, TlsFailureKind::kHandshake) << server.failure().message;
  }
}

TEST(TlsClientInput, APlainHttpServerIsNotTls) {
  const auto client_context = TlsContext::client(insecure());
  TlsSession client(client_context, "localhost", 80, nullptr);
  EXPECT_EQ(client.handshake(), Handshake::kNeedMore);
  client.feed("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(client.handshake(), Handshake::kFailed);
  EXPECT_EQ(client.failure().kind, TlsFailureKind::kNotTls) << client.failure().message;
}

TEST(TlsSessionOutput, TakeOutputSwapsWithAnEmptyBufferAndAppendsOtherwise) {
  const auto client_context = TlsContext::client(insecure());
  TlsSession client(client_context, "localhost", 443, nullptr);
  client.handshake();
  const std::size_t hello = client.pending_output_bytes();
  client.consume_output(10);
  std::vector<char> out;
  client.take_output(out);
  EXPECT_EQ(out.size(), hello - 10);
  EXPECT_EQ(client.pending_output_bytes(), 0u);
  std::vector<char> more = {'x'};
  TlsSession again(client_context, "localhost", 443, nullptr);
  again.handshake();
  again.take_output(more);
  EXPECT_EQ(more.size(), 1 + hello);
  EXPECT_EQ(more[0], 'x');
}

TEST(TlsSessionInput, FedBytesComeOutInOrderAcrossPartialReads) {
  TlsInputBuffer input;
  char out[8];
  input.append("abc");
  EXPECT_EQ(input.read(out, 2), 2u);
  EXPECT_EQ(std::string(out, 2), "ab");
  input.append("defghijklm");  // appended behind the unread "c", reclaiming the read front
  EXPECT_EQ(input.size(), 11u);
  EXPECT_EQ(input.read(out, sizeof out), sizeof out);
  EXPECT_EQ(std::string(out, sizeof out), "cdefghij");
  EXPECT_EQ(input.read(out, sizeof out), 3u);
  EXPECT_EQ(std::string(out, 3), "klm");
  EXPECT_EQ(input.size(), 0u);
  EXPECT_EQ(input.read(out, sizeof out), 0u);
  // Appended behind an unread tail where the storage has room: nothing is moved or lost.
  input.append("0123456789");
  EXPECT_EQ(input.read(out, 4), 4u);
  input.append("ab");
  EXPECT_EQ(input.size(), 8u);
  EXPECT_EQ(input.read(out, sizeof out), 8u);
  EXPECT_EQ(std::string(out, sizeof out), "456789ab");
  EXPECT_EQ(TlsInputBuffer().read(out, sizeof out), 0u);  // never fed
}

TEST(TlsFirstBytes, Classifies) {
  EXPECT_EQ(classify_first_bytes(""), FirstBytes::kNeedMore);
  EXPECT_EQ(classify_first_bytes("\x16"), FirstBytes::kTls);
  EXPECT_EQ(classify_first_bytes("\x16\x03\x01\x02\x00"), FirstBytes::kTls);
  EXPECT_EQ(classify_first_bytes("\x16\x02"), FirstBytes::kGarbage);
  EXPECT_EQ(classify_first_bytes("\x16\x03\x09"), FirstBytes::kGarbage);
  EXPECT_EQ(classify_first_bytes("GE"), FirstBytes::kNeedMore);
  EXPECT_EQ(classify_first_bytes("GET "), FirstBytes::kPlainHttp);
  EXPECT_EQ(classify_first_bytes("PROPFIND /x"), FirstBytes::kPlainHttp);
  EXPECT_EQ(classify_first_bytes(" GET"), FirstBytes::kGarbage);
  EXPECT_EQ(classify_first_bytes("GET\r\n"), FirstBytes::kGarbage);
  EXPECT_EQ(classify_first_bytes(std::string(21, 'A')), FirstBytes::kGarbage);
  EXPECT_EQ(classify_first_bytes("\x80\x01"), FirstBytes::kGarbage);
}

TEST(TlsSelfSigned, FingerprintPemAndNames) {
  const auto cert = make_cert({"localhost", "::1", "*.example.test"});
  EXPECT_EQ(cert.fingerprint_sha256().size(), 32u * 3 - 1);
  EXPECT_EQ(cert.fingerprint_sha256()[2], ':');
  EXPECT_EQ(cert.fingerprint_sha256(), fingerprint_sha256(cert.certificate()));
  EXPECT_EQ(cert.certificate_pem().rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
  EXPECT_EQ(cert.private_key_pem().rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
  EXPECT_NE(make_cert().fingerprint_sha256(), make_cert().fingerprint_sha256());
  EXPECT_THROW(make_cert({}), TlsSetupError);
  EXPECT_THROW(make_cert({"bad name"}), TlsSetupError);
}

TEST(TlsSetup, ErrorsNameTheFileAndTheProblem) {
  TempDir dir;
  const auto cert = make_cert();
  const auto other = make_cert();
  const auto cert_file = dir.write("cert.pem", cert.certificate_pem());
  const auto key_file = dir.write("key.pem", cert.private_key_pem());
  const auto other_key = dir.write("other.key", other.private_key_pem());
  const auto not_pem = dir.write("junk.pem", "junk\n");
  const auto message = [](const auto& make) -> std::string {
    try {
      make();
    } catch (const TlsSetupError& error) {
      return error.what();
    }
    return "no error";
  };
  EXPECT_NO_THROW(TlsContext::server(cert_file, key_file));
  EXPECT_NE(message([&] {
              TlsContext::server(dir.write("x", "") + ".missing", key_file);
            }).find(".missing' is not"),
            std::string::npos);
  EXPECT_NE(message([&] { TlsContext::server(cert_file, other_key); }).find("does not match"),
            std::string::npos);
  EXPECT_NE(message([&] { TlsContext::server(not_pem, key_file); }).find("junk.pem"),
            std::string::npos);
  EXPECT_NE(message([&] { TlsContext::client(trusting(not_pem)); }).find("junk.pem"),
            std::string::npos);
  TlsClientOptions mismatched;
  mismatched.cert_file = cert_file;
  mismatched.key_file = other_key;
  EXPECT_NE(message([&] { TlsContext::client(mismatched); }).find("does not match"),
            std::string::npos);
  TlsServerOptions bad_versions;
  bad_versions.min_version = TlsVersion::k1_3;
  bad_versions.max_version = TlsVersion::k1_2;
  EXPECT_THROW(TlsContext::server(cert, bad_versions), TlsSetupError);
}

TEST(TlsVersionsMismatch, AClientRequiring13AndAServerCappedAt12FailTheHandshake) {
  const auto cert = make_cert();
  const auto server_context = TlsContext::server(cert, server_options(TlsVersion::k1_2));
  TlsClientOptions options = insecure();
  options.min_version = TlsVersion::k1_3;
  const auto client_context = TlsContext::client(options);
  TlsSession server(server_context);
  TlsSession client(client_context, "localhost", 443, nullptr);
  EXPECT_FALSE(connect(client, server));
  EXPECT_EQ(server.failure().kind, TlsFailureKind::kHandshake) << server.failure().message;
  EXPECT_EQ(client.failure().kind, TlsFailureKind::kHandshake) << client.failure().message;
}

}  // namespace
}  // namespace loadlab
