// https:// end to end: the real loadlab-loadgen against a TLS peer on loopback (tls_server.h):
// verification and what its failures look like, versions, client certificates, resumption,
// and the phase breakdown (connect, TLS handshake, first byte) in the JSON report.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/loadgen/fake_server.h"
#include "tests/loadgen/run_loadgen.h"
#include "tests/loadgen/tls_server.h"

namespace loadlab::test {
namespace {

std::string url(const TlsServer& server) {
  return "https://127.0.0.1:" + std::to_string(server.port()) + "/";
}

// A PEM file removed at the end of the test.
class PemFile {
 public:
  PemFile(const char* name, const std::string& text) : path_(temp_file(name)) {
    std::ofstream(path_) << text;
  }
  ~PemFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

nlohmann::json report_of(const CommandResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

std::uint64_t count_of(const std::string& text, const std::string& what) {
  std::uint64_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

// Every request of the run failed as `tls`, and stderr said why once, naming `reason`.
void expect_tls_failures(const CommandResult& result, int requests, const std::string& reason) {
  const auto report = report_of(result);
  EXPECT_EQ(report["errors"]["tls"], requests) << result.out;
  EXPECT_EQ(report["requests"]["responses"], 0);
  EXPECT_EQ(count_of(result.err, "TLS failed"), 1u) << result.err;
  EXPECT_NE(result.err.find(reason), std::string::npos) << result.err;
  EXPECT_EQ(report["tls"]["first_failure"].get<std::string>().find("TLS failed (" + reason), 0u)
      << report["tls"];
}

// The phases are consistent with the counts: one connect and one handshake per connection,
// one first byte per response.
void expect_consistent_phases(const nlohmann::json& report) {
  EXPECT_EQ(report["connect_us"]["count"], report["connections_opened"]);
  EXPECT_EQ(report["tls_handshake_us"]["count"], report["tls"]["handshakes"]);
  EXPECT_EQ(report["tls"]["handshakes"], report["connections_opened"]);
  EXPECT_EQ(report["ttfb_us"]["count"], report["requests"]["responses"]);
  EXPECT_TRUE(report.contains("tls_handshake_histogram"));
  EXPECT_TRUE(report.contains("ttfb_histogram"));
}

TEST(Https, RunsWithTheServersCertificateAsCaFile) {
  TlsServer server;
  PemFile ca("ca.pem", server.certificate().certificate_pem());
  const auto report = report_of(
      loadgen({"-n", "40", "-c", "4", "--cacert", ca.path(), "--json", "-", "-q", url(server)}));
  EXPECT_EQ(report["requests"]["responses"], 40);
  EXPECT_EQ(report["status_codes"]["200"], 40);
  EXPECT_EQ(report["errors"]["tls"], 0);
  EXPECT_EQ(server.requests(), 40u);
  expect_consistent_phases(report);
  EXPECT_EQ(report["connections_opened"], 4);
}

// A body delimited by the close is whole only if the TLS session says so (close_notify): a bare
// FIN may be a truncation (RFC 8446 §6.1), as a client author's server can show.
TEST(Https, ABodyDelimitedByTheCloseNeedsACloseNotify) {
  TlsServerConfig clean;
  clean.close_delimited = true;
  TlsServer clean_server(clean);
  const auto whole =
      report_of(loadgen({"-n", "5", "-c", "1", "-k", "--json", "-", "-q", url(clean_server)}));
  EXPECT_EQ(whole["requests"]["responses"], 5);
  EXPECT_EQ(whole["errors"]["truncated"], 0);

  TlsServerConfig bare = clean;
  bare.close_notify = false;
  TlsServer bare_server(bare);
  const auto cut =
      report_of(loadgen({"-n", "5", "-c", "1", "-k", "--json", "-", "-q", url(bare_server)}));
  EXPECT_EQ(cut["requests"]["responses"], 0);
  EXPECT_EQ(cut["errors"]["truncated"], 5);
}

TEST(Https, InsecureSkipsVerification) {
  TlsServer server;
  const auto report =
      report_of(loadgen({"-n", "20", "-c", "2", "-k", "--json", "-", "-q", url(server)}));
  EXPECT_EQ(report["requests"]["responses"], 20);
  expect_consistent_phases(report);
}

TEST(Https, UnknownIssuerIsATlsErrorSaidOnceWithAHint) {
  TlsServer server;  // self-signed, and not in the system store
  const auto result = loadgen({"-n", "10", "-c", "2", "--json", "-", "-q", url(server)});
  expect_tls_failures(result, 10, "unknown_issuer");
  EXPECT_NE(result.err.find("--cacert"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("-k"), std::string::npos) << result.err;
  // The text summary counts them too.
  const auto text = loadgen({"-n", "3", "-c", "1", url(server)});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("tls 3"), std::string::npos) << text.out;
}

TEST(Https, NameMismatchIsATlsError) {
  TlsServerConfig config;
  config.certificate.names = {"example.test"};
  TlsServer server(config);
  PemFile ca("ca.pem", server.certificate().certificate_pem());
  expect_tls_failures(
      loadgen({"-n", "5", "-c", "1", "--cacert", ca.path(), "--json", "-", "-q", url(server)}), 5,
      "name_mismatch");
}

TEST(Https, ExpiredCertificateIsATlsError) {
  TlsServerConfig config;
  config.certificate.not_before = -std::chrono::hours(2);
  config.certificate.validity = std::chrono::hours(1);
  TlsServer server(config);
  PemFile ca("ca.pem", server.certificate().certificate_pem());
  expect_tls_failures(
      loadgen({"-n", "5", "-c", "1", "--cacert", ca.path(), "--json", "-", "-q", url(server)}), 5,
      "expired");
}

TEST(Https, TlsMin13AgainstA12OnlyServerFails) {
  TlsServerConfig config;
  config.tls.max_version = TlsVersion::k1_2;
  TlsServer server(config);
  expect_tls_failures(
      loadgen({"-n", "4", "-c", "1", "-k", "--tls-min", "1.3", "--json", "-", "-q", url(server)}),
      4, "handshake");
  // The same server is fine for the default minimum.
  const auto report =
      report_of(loadgen({"-n", "4", "-c", "1", "-k", "--json", "-", "-q", url(server)}));
  EXPECT_EQ(report["requests"]["responses"], 4);
}

TEST(Https, ClientCertificates) {
  SelfSignedOptions client_names;
  client_names.names = {"loadgen-client"};
  const SelfSignedCertificate client(client_names);
  PemFile client_cert("client.pem", client.certificate_pem());
  PemFile client_key("client.key", client.private_key_pem());
  TlsServerConfig config;
  config.tls.client_ca_file = client_cert.path();
  TlsServer server(config);
  PemFile ca("ca.pem", server.certificate().certificate_pem());
  const auto report =
      report_of(loadgen({"-n", "10", "-c", "2", "--cacert", ca.path(), "--cert", client_cert.path(),
                         "--key", client_key.path(), "--json", "-", "-q", url(server)}));
  EXPECT_EQ(report["requests"]["responses"], 10);
  // Without one, the server refuses every connection.
  const auto refused =
      loadgen({"-n", "6", "-c", "1", "--cacert", ca.path(), "--json", "-", "-q", url(server)});
  const auto refused_report = report_of(refused);
  EXPECT_EQ(refused_report["errors"]["tls"], 6) << refused.out;
  EXPECT_EQ(count_of(refused.err, "TLS failed"), 1u) << refused.err;
}

class Resumption : public ::testing::TestWithParam<TlsVersion> {};
INSTANTIATE_TEST_SUITE_P(Https, Resumption, ::testing::Values(TlsVersion::k1_2, TlsVersion::k1_3),
                         [](const ::testing::TestParamInfo<TlsVersion>& version) {
                           return version.param == TlsVersion::k1_2 ? "v1_2" : "v1_3";
                         });

TEST_P(Resumption, NoKeepaliveResumesEveryHandshakeAfterTheFirst) {
  TlsServerConfig config;
  config.tls.min_version = GetParam();
  config.tls.max_version = GetParam();
  TlsServer server(config);
  PemFile ca("ca.pem", server.certificate().certificate_pem());
  const auto report = report_of(loadgen({"-n", "10", "-c", "1", "--no-keepalive", "--cacert",
                                         ca.path(), "--json", "-", "-q", url(server)}));
  EXPECT_EQ(report["requests"]["responses"], 10);
  EXPECT_EQ(report["tls"]["handshakes"], 10);
  EXPECT_EQ(report["tls"]["resumed"], 9);
  EXPECT_EQ(server.resumed(), 9u);
  expect_consistent_phases(report);
}

TEST_P(Resumption, NoTlsResumeMakesEveryHandshakeFull) {
  TlsServerConfig config;
  config.tls.min_version = GetParam();
  config.tls.max_version = GetParam();
  TlsServer server(config);
  PemFile ca("ca.pem", server.certificate().certificate_pem());
  const auto report = report_of(loadgen({"-n", "10", "-c", "1", "--no-keepalive", "--no-tls-resume",
                                         "--cacert", ca.path(), "--json", "-", "-q", url(server)}));
  EXPECT_EQ(report["requests"]["responses"], 10);
  EXPECT_EQ(report["tls"]["handshakes"], 10);
  EXPECT_EQ(report["tls"]["resumed"], 0);
  EXPECT_EQ(server.resumed(), 0u);
}

// A server that accepts and never answers the handshake: the request's --timeout covers the
// handshake, and it is a timeout, not a connect error.
TEST(Https, AHandshakeThatNeverEndsIsATimeout) {
  FakeServer silent([](int client, const std::atomic<bool>& stop) {
    char buffer[4096];
    while (!stop) {
      pollfd ready{client, POLLIN, 0};
      if (poll(&ready, 1, 50) <= 0) continue;
      if (recv(client, buffer, sizeof buffer, 0) <= 0) break;  // the loadgen gave up
    }
    close(client);
  });
  const auto report =
      report_of(loadgen({"-n", "2", "-c", "1", "-k", "--timeout", "300ms", "--json", "-", "-q",
                         "https://127.0.0.1:" + std::to_string(silent.port()) + "/"}));
  EXPECT_EQ(report["errors"]["timeout"], 2);
  EXPECT_EQ(report["errors"]["connect"], 0);
  EXPECT_EQ(report["errors"]["tls"], 0);
}

// A plain HTTP port given as https://: a TLS error that says so, not a parse error.
TEST(Https, APlainHttpPortIsATlsError) {
  FakeServer plain([](int client, const std::atomic<bool>&) {
    char buffer[4096];
    (void)!recv(client, buffer, sizeof buffer, 0);
    const char reply[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!send(client, reply, sizeof reply - 1, MSG_NOSIGNAL);
    close(client);
  });
  expect_tls_failures(loadgen({"-n", "3", "-c", "1", "-k", "--json", "-", "-q",
                               "https://127.0.0.1:" + std::to_string(plain.port()) + "/"}),
                      3, "not_tls");
}

TEST(Https, MergeKeepsThePhases) {
  TlsServer server;
  const std::string a = temp_file("https-a.json"), b = temp_file("https-b.json");
  for (const auto& file : {a, b}) {
    const auto run = loadgen({"-n", "12", "-c", "3", "-k", "--json", file, "-q", url(server)});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  const auto merged = report_of(loadgen({"merge", a, b, "--json", "-", "-q"}));
  EXPECT_EQ(merged["ttfb_us"]["count"], 24);
  EXPECT_EQ(merged["tls_handshake_us"]["count"], 6);
  EXPECT_EQ(merged["tls"]["handshakes"], 6);
  EXPECT_EQ(merged["connect_us"]["count"], 6);
  std::remove(a.c_str());
  std::remove(b.c_str());
}

}  // namespace
}  // namespace loadlab::test
