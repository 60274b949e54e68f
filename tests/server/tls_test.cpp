// The HTTPS port of the real loadlab-server: what only TLS has (handshakes, their failures and
// metrics, certificates from files or made at start-up), checked with our own client and with
// curl. The HTTP behaviour over TLS is http_test.cpp's, run on both ports.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kSelfSigned = {"--tls-self-signed", "--tls-port", "0"};

std::vector<std::string> self_signed(std::vector<std::string> more = {}) {
  more.insert(more.begin(), kSelfSigned.begin(), kSelfSigned.end());
  return more;
}

// A directory of its own per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "loadlab-tls-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

double failures(const ServerProcess& server, const std::string& reason) {
  return metric(server.port(), "loadlab_tls_handshake_failures_total{reason=\"" + reason + "\"}");
}

TEST(Tls, ListeningLineGivesTheHttpsPortAndFingerprint) {
  ServerProcess server(self_signed());
  EXPECT_NE(server.tls_port(), 0);
  EXPECT_NE(server.tls_port(), server.port());
  EXPECT_TRUE(
      std::regex_match(server.tls_fingerprint(), std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")))
      << server.tls_fingerprint();
  EXPECT_NE(server.stderr_text().find(server.tls_fingerprint()), std::string::npos);
  TcpClient client(server.tls_port(), Transport::kTls);
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.tls_version(), "TLSv1.3");
  EXPECT_EQ(client.alpn(), "http/1.1");
}

TEST(Tls, PlainHttpOnTheHttpsPortGetsA400ThatSaysSo) {
  ServerProcess server(self_signed());
  TcpClient client(server.tls_port());
  client.send(get_request("/0"));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find("The plain HTTP request was sent to HTTPS port"), std::string::npos)
      << response->body;
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed(60s));
  EXPECT_TRUE(eventually([&] { return failures(server, "plain_http") == 1; }));
}

TEST(Tls, GarbageIsClosedWithoutAnAnswer) {
  ServerProcess server(self_signed());
  TcpClient client(server.tls_port());
  client.send(std::string("\x01\x02\x03 not TLS at all\r\n\r\n", 22));
  EXPECT_TRUE(client.wait_closed(60s));
  EXPECT_TRUE(client.read_response(1ms) == std::nullopt);
  EXPECT_TRUE(eventually([&] { return failures(server, "not_tls") == 1; }));
  // The server goes on serving.
  const auto response = http_get(server.tls_port(), Transport::kTls, "/healthz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(Tls, AStalledHandshakeIsCutOffByTheHeaderTimeout) {
  ServerProcess server(self_signed({"--header-timeout-ms", "200"}));
  TcpClient silent(server.tls_port());
  TcpClient half(server.tls_port());
  // The start of a ClientHello record that announces 512 bytes and never sends them.
  half.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  EXPECT_TRUE(silent.wait_closed(60s));
  EXPECT_TRUE(half.wait_closed(60s));
  EXPECT_TRUE(eventually([&] { return failures(server, "timeout") == 2; }));
  EXPECT_EQ(metric(server.port(), "loadlab_header_timeouts_total"), 2);
}

TEST(Tls, MetricsCountHandshakesByVersion) {
  ServerProcess server(self_signed());
  for (const Transport transport : {Transport::kTls, Transport::kTls, Transport::kTls12}) {
    const auto response = http_get(server.tls_port(), transport, "/healthz");
    ASSERT_TRUE(response) << to_string(transport);
    EXPECT_EQ(response->status, 200);
  }
  EXPECT_TRUE(eventually([&] {
    return metric(server.port(), R"(loadlab_tls_handshakes_total{version="TLSv1.3"})") == 2 &&
           metric(server.port(), R"(loadlab_tls_handshakes_total{version="TLSv1.2"})") == 1;
  }));
  {
    TcpClient gone(server.tls_port());
    gone.send(std::string("\x16\x03\x01", 3));
  }
  EXPECT_TRUE(eventually([&] { return failures(server, "eof") == 1; }));
  EXPECT_EQ(failures(server, "handshake"), 0);
}

TEST(Tls, PlainServersShowNoTlsMetrics) {
  ServerProcess server;
  EXPECT_EQ(server.tls_port(), 0);
  EXPECT_EQ(metric(server.port(), R"(loadlab_tls_handshakes_total{version="TLSv1.3"})"), -1);
}

// curl, an independent client, trusts the certificate written by --tls-cert-out, whose
// fingerprint (by the openssl CLI) is the one the server logged.
TEST(Tls, CurlTrustsTheSelfSignedCertificateWrittenOut) {
  TempDir dir;
  const std::string cert = dir.path("cert.pem");
  ServerProcess server(self_signed({"--tls-cert-out", cert}));
  const std::string url = "https://localhost:" + std::to_string(server.tls_port());
  const auto result = run_command({"curl", "-sS", "--cacert", cert, url + "/0"}, 30s);
  if (result.exit_code == 127) GTEST_SKIP() << "curl not installed";
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("\"delay_ms\":0"), std::string::npos) << result.out;
  const auto by_ip =
      run_command({"curl", "-sS", "--cacert", cert,
                   "https://127.0.0.1:" + std::to_string(server.tls_port()) + "/healthz"},
                  30s);
  EXPECT_EQ(by_ip.exit_code, 0) << by_ip.err;
  // Without the certificate, verification fails (curl's exit code 60).
  EXPECT_EQ(run_command({"curl", "-sS", url + "/healthz"}, 30s).exit_code, 60);

  const auto fingerprint =
      run_command({"openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"}, 30s);
  ASSERT_EQ(fingerprint.exit_code, 0) << fingerprint.err;
  EXPECT_NE(fingerprint.out.find(server.tls_fingerprint()), std::string::npos) << fingerprint.out;
  EXPECT_NE(server.stderr_text().find("fingerprint " + server.tls_fingerprint()),
            std::string::npos);
}

TEST(Tls, CertificateAndKeyFromFiles) {
  TempDir dir;
  const std::string cert = dir.path("cert.pem");
  const std::string key = dir.path("key.pem");
  const auto made = run_command(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext",
       "subjectAltName=DNS:localhost,IP:127.0.0.1"},
      30s);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ServerProcess server({"--tls-cert", cert, "--tls-key", key, "--tls-port", "0"});
  const auto result =
      run_command({"curl", "-sS", "--cacert", cert,
                   "https://localhost:" + std::to_string(server.tls_port()) + "/healthz"},
                  30s);
  if (result.exit_code == 127) GTEST_SKIP() << "curl not installed";
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("ok"), std::string::npos);
  // The plain port still serves.
  const auto plain = http_get(server.port(), "/healthz");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);

  // A key that is not the certificate's: a start-up error that says so.
  const std::string other_key = dir.path("other.pem");
  ASSERT_EQ(run_command({"openssl", "genpkey", "-algorithm", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-out", other_key},
                        30s)
                .exit_code,
            0);
  const auto mismatch = run_command({LOADLAB_SERVER_BIN, "--port", "0", "--tls-port", "0",
                                     "--tls-cert", cert, "--tls-key", other_key},
                                    30s);
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_NE(mismatch.err.find("does not match"), std::string::npos) << mismatch.err;
}

TEST(Tls, BadFlagsAreRefusedWithTheReason) {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    const char* says;
  };
  const std::vector<Case> cases = {
      {{"--tls-cert", dir.path("c.pem")}, 2, "--tls-key"},
      {{"--tls-key", dir.path("k.pem")}, 2, "--tls-cert"},
      {{"--tls-self-signed", "--tls-cert", "c", "--tls-key", "k"}, 2, "alternatives"},
      {{"--tls-name", "localhost"}, 2, "--tls-self-signed"},
      {{"--tls-cert-out", dir.path("out.pem")}, 2, "--tls-self-signed"},
      {{"--tls-self-signed", "--port", "8443", "--tls-port", "8443"}, 2, "--tls-port must differ"},
      {{"--tls-port", "70000"}, 2, "--tls-port"},
      {{"--tls-port", "9443"}, 2, "it needs --tls-cert and --tls-key, or --tls-self-signed"},
      {{"--tls-cert", dir.path("missing.pem"), "--tls-key", dir.path("missing.pem")},
       1,
       "missing.pem"},
      {{"--tls-self-signed", "--tls-name", "not a name"}, 1, "not a name"},
      {{"--tls-self-signed", "--tls-cert-out", dir.path("no/such/dir/cert.pem")},
       1,
       "--tls-cert-out"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {LOADLAB_SERVER_BIN, "--host", "127.0.0.1"};
    const auto given = [&](const char* flag) {
      return std::find(c.args.begin(), c.args.end(), flag) != c.args.end();
    };
    if (!given("--port")) argv.insert(argv.end(), {"--port", "0"});
    if (!given("--tls-port")) argv.insert(argv.end(), {"--tls-port", "0"});
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const auto result = run_command(argv, 30s);
    std::string joined;
    for (const auto& arg : c.args) joined += arg + " ";
    EXPECT_EQ(result.exit_code, c.exit_code) << joined << result.err;
    EXPECT_NE(result.err.find(c.says), std::string::npos) << joined << result.err;
  }
}

// A client that sends pipelined requests over TLS and reads nothing costs the server about
// --max-queued-response-bytes, ciphertext included, not what it asked for.
TEST(Tls, ANonReadingClientIsBoundedByMaxQueuedResponseBytes) {
  ServerProcess server(self_signed({"--max-queued-response-bytes", "65536", "--threads", "1"}));
  TcpClient client(server.tls_port(), Transport::kTls);
  ASSERT_TRUE(client.connected());
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += get_request("/metrics");
  std::thread sender([&] { client.send(burst); });  // blocks once the server stops reading
  double peak = 0;
  EXPECT_TRUE(eventually([&] {
    peak = std::max(peak, metric(server.port(), "loadlab_queued_response_bytes"));
    return peak > 0;
  }));
  for (int i = 0; i < 20; ++i)
    peak = std::max(peak, metric(server.port(), "loadlab_queued_response_bytes"));
  // One batch of responses past the bound at most (each /metrics answer is a few KB).
  EXPECT_LT(peak, 65536 + 64 * 1024);
  client.shutdown();
  sender.join();
}

}  // namespace
}  // namespace loadlab::test
