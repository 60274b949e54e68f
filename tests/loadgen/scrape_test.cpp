// The target's side of a run (--scrape) and the loadgen's own live endpoint
// (--metrics-listen), end to end: the real loadgen against the real server on loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "common/prometheus_text.h"
#include "tests/loadgen/fake_server.h"
#include "tests/loadgen/run_loadgen.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

nlohmann::json run_json(std::vector<std::string> args) {
  args.insert(args.end(), {"--json", "-", "-q"});
  const auto result = loadgen(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

// The outside observer's cross-check: the server's own count of the requests it answered
// during the run is the loadgen's count of responses. The server counts an answer when its
// write completes, which may come a loop iteration after the loadgen has it: the final
// scrape is repeated until the counts agree, but on a busy machine it may give up with one
// answer per connection not yet counted. Never more than the loadgen's: nobody else loads it.
TEST(Scrape, ReportHoldsTheServersSeries) {
  ServerProcess server;
  const auto report =
      run_json({"-d", "3s", "-c", "8", "--interval", "500ms", base(server) + "/50"});
  ASSERT_TRUE(report["target"].is_object()) << report.dump();
  const auto& source = report["target"]["sources"].at(0);
  EXPECT_EQ(source["url"], base(server) + "/metrics");
  EXPECT_EQ(source["server"], "loadlab");
  EXPECT_GE(source["scrapes"].get<int>(), 2);
  const auto responses = report["requests"]["responses"].get<std::uint64_t>();
  EXPECT_LE(source["requests_counted"].get<std::uint64_t>(), responses);
  EXPECT_GE(source["requests_counted"].get<std::uint64_t>() + 8, responses);
  EXPECT_EQ(source["requests_by_code"]["200"], source["requests_counted"]);
  const auto& in_flight = source["series"]["in_flight"];
  ASSERT_FALSE(in_flight.empty());
  for (const auto& point : in_flight) {
    EXPECT_GE(point[1].get<double>(), 0);
    EXPECT_LE(point[1].get<double>(), 8);  // the scrape's own request is left out
  }
  EXPECT_FALSE(source["series"]["requests_per_s:200"].empty());
  EXPECT_FALSE(source["series"]["open_connections"].empty());
  EXPECT_TRUE(report["target"]["littles_law"].is_object());
  EXPECT_TRUE(
      report["target"]["littles_law"]["statement"].get<std::string>().starts_with("Little's law"));
}

TEST(Scrape, NoScrapeTurnsItOff) {
  ServerProcess server;
  const auto report = run_json({"-n", "20", "-c", "2", "--no-scrape", base(server) + "/1"});
  EXPECT_TRUE(report["target"].is_null()) << report["target"].dump();
  // The server counts a /metrics answer once its write has completed, which may be after the
  // reader got it (and on the other loop): read until a reading is one more than the one before,
  // i.e. counts every earlier reading. Then the count is the test's own readings, all but the
  // last: the loadgen asked for none.
  const char* scrapes = R"(loadlab_http_requests_total{route="metrics",code="200"})";
  int readings = 0;
  double last = metric(server.port(), scrapes);
  ++readings;
  double settled = -1;
  ASSERT_TRUE(eventually([&] {
    const double now = metric(server.port(), scrapes);
    ++readings;
    if (now == last + 1) settled = now;
    last = now;
    return settled >= 0;
  }));
  EXPECT_EQ(settled, readings - 1);
}

TEST(Scrape, ReportsSurviveMerge) {
  ServerProcess server;
  const std::string a = temp_file("scrape-a.json"), b = temp_file("scrape-b.json");
  for (const auto& path : {a, b}) {
    const auto result = loadgen({"-n", "30", "-c", "3", "-q", "--json", path, base(server) + "/1"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  const auto merged = loadgen({"merge", a, b, "--json", "-", "-q"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const auto report = nlohmann::json::parse(merged.out);
  const auto& sources = report["target"]["sources"];
  ASSERT_EQ(sources.size(), 2u);  // kept per source, never summed
  EXPECT_EQ(sources[0]["requests_counted"], 30);
  EXPECT_EQ(sources[1]["requests_counted"], 30);
  std::remove(a.c_str());
  std::remove(b.c_str());
}

// A server that is not loadlab-server answers every request with Server: other.
TEST(Scrape, NoDefaultScrapeOfAnotherServer) {
  std::atomic<int> metrics_asked{0};
  FakeServer other([&metrics_asked](int client, const std::atomic<bool>&) {
    const std::string request = read_request_head(client);
    if (request.starts_with("GET /metrics ")) ++metrics_asked;
    const std::string answer =
        "HTTP/1.1 200 OK\r\nServer: other\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
        "a_metric";
    (void)!write(client, answer.data(), answer.size());
    close(client);
  });
  const auto report =
      run_json({"-n", "5", "-c", "1", "http://127.0.0.1:" + std::to_string(other.port()) + "/x"});
  ASSERT_TRUE(report["target"].is_object());
  EXPECT_TRUE(report["target"]["sources"].empty());
  const std::string note = report["target"]["notes"].at(0);
  EXPECT_NE(note.find("not loadlab-server (Server: other)"), std::string::npos) << note;
  EXPECT_LE(metrics_asked.load(), 1);  // the one answer whose Server header said so
}

TEST(Scrape, ExplicitScrapeOfABadEndpointIsCountedNotFatal) {
  ServerProcess server;
  const auto report = run_json(
      {"-n", "20", "-c", "2", "--scrape", base(server) + "/404-not-metrics", base(server) + "/1"});
  EXPECT_EQ(report["requests"]["responses"], 20);
  const auto& source = report["target"]["sources"].at(0);
  EXPECT_EQ(source["scrapes"], 0);
  EXPECT_GE(source["failures"].get<int>(), 1);
  EXPECT_FALSE(source["first_error"].get<std::string>().empty());
}

// A target whose /metrics holds bytes that are not UTF-8: the error quoting them is made
// printable, and the report (a JSON writer refuses invalid UTF-8) is written whole.
TEST(Scrape, AnErrorQuotingBadBytesKeepsTheReport) {
  FakeServer target([](int client, const std::atomic<bool>&) {
    read_request_head(client);
    const std::string body = "m \xff\xfe" + std::string(3000, '\x80') + "\n";
    const std::string answer =
        "HTTP/1.1 200 OK\r\nServer: loadlab\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    (void)!write(client, answer.data(), answer.size());
    close(client);
  });
  const std::string base_url = "http://127.0.0.1:" + std::to_string(target.port());
  const auto report =
      run_json({"-n", "5", "-c", "1", "--scrape", base_url + "/metrics", base_url + "/x"});
  EXPECT_EQ(report["requests"]["responses"], 5);
  const auto& source = report["target"]["sources"].at(0);
  EXPECT_GE(source["failures"].get<int>(), 1);
  const std::string error = source["first_error"];
  EXPECT_NE(error.find("\\xff\\xfe"), std::string::npos) << error;
  EXPECT_LE(error.size(), 400u);
}

std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// Scraped while a run of /200 requests is in flight: the counters are the run's so far, and
// never more than the final report's.
TEST(LiveMetrics, ServedDuringARun) {
  ServerProcess server;
  const std::uint16_t port = free_port();
  double in_flight = -1, requests = -1;
  std::optional<HttpResponse> not_found, bad;
  const auto result =
      loadgen({"-n", "60", "-c", "6", "--no-scrape", "--json", "-", "-q", "--metrics-listen",
               "127.0.0.1:" + std::to_string(port), base(server) + "/200"},
              [&](pid_t) {
                const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
                while (std::chrono::steady_clock::now() < deadline) {
                  const auto answer = http_get(port, "/metrics", std::chrono::seconds(10));
                  if (answer && answer->status == 200) {
                    const PromText text = parse_prometheus_text(answer->body);
                    ASSERT_TRUE(text.ok()) << text.error;
                    EXPECT_EQ(text.families.at("loadlab_loadgen_latency_seconds").type,
                              PromType::kHistogram);
                    in_flight = text.sum("loadlab_loadgen_requests_in_flight").value_or(-1);
                    requests = text.sum("loadlab_loadgen_requests_total").value_or(-1);
                    if (in_flight > 0) break;
                  }
                  std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
                not_found = http_get(port, "/nope");
                TcpClient garbage(port);
                garbage.send("NONSENSE\r\n\r\n");
                bad = garbage.read_response(std::chrono::seconds(10));
              });
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_GT(in_flight, 0);
  EXPECT_LE(in_flight, 6);
  EXPECT_GE(requests, 0);
  EXPECT_LE(requests, report["requests"]["total"].get<double>());
  EXPECT_EQ(report["requests"]["total"], 60);
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->status, 404);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST(LiveMetrics, PortZeroIsLoggedAndLoopbackIsTheDefault) {
  ServerProcess server;
  const auto result = loadgen(
      {"-n", "5", "-c", "1", "-q", "--no-scrape", "--metrics-listen", "0", base(server) + "/1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto at = result.err.find("live metrics on http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("127.0.0.1:0/"), std::string::npos) << result.err;
}

TEST(LiveMetrics, BadAddressIsAUsageError) {
  ServerProcess server;
  const auto result =
      loadgen({"-n", "1", "-q", "--metrics-listen", "example.com:9464", base(server) + "/1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--metrics-listen"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace loadlab::test
