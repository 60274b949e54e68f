// /prime against the real server and its real worker processes.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/metrics.h"
#include "tests/support/processes.h"
#include "tests/support/server_process.h"

namespace loadlab::test {
namespace {

using namespace std::chrono_literals;

nlohmann::json prime(std::uint16_t port, const std::string& query, int expected_status = 200) {
  const auto response = http_get(port, "/prime/" + query, 30s);
  EXPECT_TRUE(response) << query;
  if (!response) return {};
  EXPECT_EQ(response->status, expected_status) << query << ": " << response->body;
  if (expected_status == 200) {
    EXPECT_NE(response->header("server-timing").find("compute;dur="), std::string::npos);
  }
  return nlohmann::json::parse(response->body);
}

// The worker computing a job, while the pool has nothing else to do: the one child that is
// not asleep reading its pipe. 0 if none is found.
int computing_worker(int server_pid) {
  int found = 0;
  eventually([&] {
    int running = 0;
    for (int child : children_of(server_pid)) {
      if (state_of(child) == 'R') {
        ++running;
        found = child;
      }
    }
    return running == 1;
  });
  return found;
}

// The pool's one worker, once it is up.
int only_worker(const ServerProcess& server) {
  if (!eventually([&] { return metric(server.port(), "loadlab_prime_workers") == 1; })) return 0;
  const std::set<int> children = children_of(server.pid());
  return children.size() == 1 ? *children.begin() : 0;
}

// A prime just above 2^32: trial division of it is "costly" to the pool (it runs alone, nothing
// queues behind it) yet takes microseconds, so a test that needs a long job stops its worker
// (SIGSTOP) instead of depending on how long the machine takes to compute.
constexpr const char* kCostlyButQuick = "4294967311";
// What a job may take in tests that stop workers: never reached, so a stopped worker's job
// only ends when the test says.
constexpr const char* kNoJobTimeout = "3600000";

TEST(PrimePool, CorrectnessTable) {
  ServerProcess server({"--workers", "2"});
  struct Case {
    const char* query;
    bool prime;
    std::optional<std::uint64_t> divisor;
  };
  const Case cases[] = {
      {"0", false, {}},
      {"1", false, {}},
      {"2", true, {}},
      {"3", true, {}},
      {"4", false, 2},
      {"561", false, 3},
      {"1105", false, 5},
      {"7919", true, {}},
      {"1000006000009", false, 1000003},
      {"2305843009213693951?method=mr", true, {}},
      {"18446744073709551557?method=mr", true, {}},
      {"18446744073709551615", false, 3},
      {"1000006000009?method=mr", false, {}},
  };
  for (const auto& c : cases) {
    const auto body = prime(server.port(), c.query);
    EXPECT_EQ(body["prime"], c.prime) << c.query;
    if (c.divisor) {
      EXPECT_EQ(body["divisor"], *c.divisor) << c.query;
    }
    EXPECT_GT(body["worker_pid"].get<int>(), 0);
    EXPECT_TRUE(body.contains("queue_ms") && body.contains("compute_ms"));
  }
  EXPECT_EQ(prime(server.port(), "7?method=mr")["method"], "mr");
  EXPECT_EQ(prime(server.port(), "7")["method"], "trial");
}

TEST(PrimePool, BothMethodsAgreeOverHttp) {
  ServerProcess server;
  std::mt19937_64 random(99);
  std::uniform_int_distribution<std::uint64_t> n(1, 1'000'000'000);
  TcpClient client(server.port());
  for (int i = 0; i < 150; ++i) {
    const std::string value = std::to_string(n(random));
    client.send(get_request("/prime/" + value) + get_request("/prime/" + value + "?method=mr"));
    const auto trial = client.read_response();
    const auto mr = client.read_response();
    ASSERT_TRUE(trial && mr);
    EXPECT_EQ(nlohmann::json::parse(trial->body)["prime"], nlohmann::json::parse(mr->body)["prime"])
        << value;
  }
}

TEST(PrimePool, BadNumbersAre400) {
  ServerProcess server;
  for (const char* bad : {"-1", "abc", "18446744073709551616", "7?method=fermat"})
    prime(server.port(), bad, 400);
}

TEST(PrimePool, KilledWorkerFailsOnlyItsJobAndIsReplaced) {
  ServerProcess server({"--workers", "2", "--job-timeout-ms", kNoJobTimeout});
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers") == 2; }));
  // One costly job pins a worker (stopped, so it holds the job however fast the machine)...
  std::thread slow_client([&] {
    const auto response = http_get(server.port(), "/prime/2305843009213693951", 300s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 502);
    EXPECT_NE(response->body.find("signal"), std::string::npos);
  });
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers_busy") == 1; }));
  const int busy_pid = computing_worker(server.pid());
  ASSERT_NE(busy_pid, 0);
  kill(busy_pid, SIGSTOP);
  // ...while other clients keep asking; then that worker is killed from outside.
  std::atomic<int> ok{0}, failed{0};
  std::atomic<bool> done{false};
  std::thread load([&] {
    while (!done) {
      const auto response = http_get(server.port(), "/prime/1000003", 60s);
      (response && response->status == 200 ? ok : failed)++;
    }
  });
  EXPECT_TRUE(eventually([&] { return ok.load() >= 3; }));  // served by the other worker meanwhile
  kill(busy_pid, SIGKILL);
  slow_client.join();
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers") == 2; }));
  const int before = ok.load();
  EXPECT_TRUE(eventually([&] { return ok.load() >= before + 3; }));  // and after the replacement
  done = true;
  load.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(metric(server.port(), "loadlab_prime_worker_restarts_total"), 1);
  EXPECT_EQ(metric(server.port(), R"(loadlab_prime_jobs_total{outcome="worker_died"})"), 1);
  EXPECT_TRUE(eventually(
      [&] { return children_of(server.pid()).size() == 2u; }));  // replaced, the dead one reaped
}

// Cheap jobs are pipelined: a busy worker holds several. When it dies, only the one it was
// computing fails; the others were not started and are run by its replacement.
TEST(PrimePool, JobsWaitingAtAKilledWorkerAreRetriedNotFailed) {
  ServerProcess server({"--workers", "1"});
  ASSERT_TRUE(eventually([&] { return children_of(server.pid()).size() == 1; }));
  const int worker = *children_of(server.pid()).begin();
  kill(worker, SIGSTOP);  // holds every job it is handed
  std::vector<std::unique_ptr<TcpClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<TcpClient>(server.port()));
    clients.back()->send(get_request("/prime/" + std::to_string(101 + 2 * i)));
  }
  ASSERT_TRUE(
      eventually([&] { return metric(server.port(), "loadlab_prime_jobs_in_flight") == 5; }));
  EXPECT_EQ(metric(server.port(), "loadlab_prime_queue_depth"), 0);
  std::this_thread::sleep_for(100ms);  // a wait the jobs' queue_ms must show, not a condition
  kill(worker, SIGKILL);
  int ok = 0, failed = 0;
  for (auto& client : clients) {
    const auto response = client->read_response(60s);
    ASSERT_TRUE(response);
    if (response->status == 502) ++failed;
    if (response->status != 200) continue;
    ++ok;
    const auto body = nlohmann::json::parse(response->body);
    EXPECT_NE(body["worker_pid"], worker);
    EXPECT_GE(body["queue_ms"].get<double>(),
              100.0);  // the time spent waiting at the stopped worker
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(metric(server.port(), R"(loadlab_prime_jobs_total{outcome="worker_died"})"), 1);
  EXPECT_EQ(metric(server.port(), "loadlab_prime_jobs_in_flight"), 0);
}

// A job that may be long runs alone: cheap jobs go to the other worker instead of queueing
// behind it.
TEST(PrimePool, NothingWaitsBehindACostlyJob) {
  ServerProcess server({"--workers", "2", "--job-timeout-ms", kNoJobTimeout});
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers") == 2; }));
  TcpClient slow(server.port());
  slow.send(get_request("/prime/2305843009213693951"));  // trial division: seconds, and stopped
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers_busy") == 1; }));
  const int busy_pid = computing_worker(server.pid());
  ASSERT_NE(busy_pid, 0);
  kill(busy_pid, SIGSTOP);  // computing for as long as the test needs
  std::vector<std::unique_ptr<TcpClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<TcpClient>(server.port()));
    clients.back()->send(get_request("/prime/" + std::to_string(1000003 + 2 * i)));
  }
  std::set<int> pids;
  for (auto& client : clients) {
    const auto response = client->read_response(60s);
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    pids.insert(nlohmann::json::parse(response->body)["worker_pid"].get<int>());
  }
  EXPECT_EQ(pids.size(), 1u);  // all on the free worker
  EXPECT_EQ(metric(server.port(), "loadlab_prime_workers_busy"),
            1);  // the costly one still computing
  kill(busy_pid, SIGKILL);
}

// Workers that cannot be started again (here: the executable is gone) must not leave /prime
// requests waiting for ever: 503, and the rest of the server goes on.
TEST(PrimePool, NoWorkerAndNoWayToStartOneIs503) {
  const std::string copy = "/tmp/loadlab-test-" + std::to_string(getpid()) + "-server";
  ASSERT_EQ(run_command({"cp", LOADLAB_SERVER_BIN, copy}, 10s).exit_code, 0);
  ServerProcess server({"--workers", "2"}, copy);
  ASSERT_TRUE(eventually([&] { return children_of(server.pid()).size() == 2; }));
  std::remove(copy.c_str());
  for (int worker : children_of(server.pid())) kill(worker, SIGKILL);
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers") == 0; }));
  const auto response = http_get(server.port(), "/prime/97", 60s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_NE(response->body.find("could be started"), std::string::npos) << response->body;
  EXPECT_EQ(http_get(server.port(), "/0")->status, 200);
}

// A server that dies without its shutdown (a crash, kill -9) takes its workers with it: a
// worker computing a long job would otherwise go on, owned by nobody.
TEST(PrimePool, WorkersDieWithTheServer) {
  ServerProcess server({"--workers", "2", "--job-timeout-ms", kNoJobTimeout});
  ASSERT_TRUE(eventually([&] { return children_of(server.pid()).size() == 2; }));
  const std::set<int> workers = children_of(server.pid());
  TcpClient client(server.port());
  client.send(get_request("/prime/2305843009213693951"));  // trial division: 17 s and more
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers_busy") == 1; }));
  server.signal(SIGKILL);
  const auto gone = [](int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    return line.find(") Z ") != std::string::npos;  // a zombie until its new parent reaps it
  };
  EXPECT_TRUE(eventually([&] { return std::all_of(workers.begin(), workers.end(), gone); }));
}

// The job's worker is stopped, so the job passes its limit whatever the machine's speed; the
// limit is long enough that the replacement's job, sent once that worker waits on its pipe,
// never meets it on a busy machine (with 100 ms, an ASan worker's start-up under stress-ng did).
TEST(PrimePool, JobOverTheTimeLimitGets504AndTheWorkerIsReplaced) {
  ServerProcess server({"--workers", "1", "--job-timeout-ms", "2000"});
  const int stuck = only_worker(server);
  ASSERT_NE(stuck, 0);
  kill(stuck, SIGSTOP);
  const auto body = prime(server.port(), kCostlyButQuick, 504);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("job-timeout-ms"), std::string::npos);
  // The queue goes on with a fresh worker, once it is up and reading its pipe.
  int fresh = 0;
  ASSERT_TRUE(eventually([&] {
    fresh = only_worker(server);
    return fresh != 0 && fresh != stuck && state_of(fresh) == 'S';
  }));
  EXPECT_EQ(prime(server.port(), "7919")["prime"], true);
  EXPECT_EQ(metric(server.port(), "loadlab_prime_job_timeouts_total"), 1);
  EXPECT_EQ(metric(server.port(), "loadlab_prime_workers"), 1);
}

// One job held by a stopped worker, one queued, the rest refused: what is computing and what
// waits is set by the test, not by how fast the machine computes.
TEST(PrimePool, FullQueueGets503WithRetryAfter) {
  ServerProcess server({"--workers", "1", "--max-queue", "1", "--job-timeout-ms", kNoJobTimeout});
  const int worker = only_worker(server);
  ASSERT_NE(worker, 0);
  kill(worker, SIGSTOP);
  std::vector<std::unique_ptr<TcpClient>> clients;
  const auto ask = [&] {
    clients.push_back(std::make_unique<TcpClient>(server.port()));
    clients.back()->send(get_request(std::string("/prime/") + kCostlyButQuick));
  };
  ask();
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers_busy") == 1; }));
  ask();
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_queue_depth") == 1; }));
  ask();
  ask();
  for (std::size_t i = 2; i < clients.size(); ++i) {
    const auto response = clients[i]->read_response(60s);
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status, 503) << i;
    EXPECT_EQ(response->header("retry-after"), "1");
    EXPECT_NE(response->body.find("queue is full"), std::string::npos);
  }
  kill(worker, SIGCONT);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto response = clients[i]->read_response(60s);
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status, 200) << i << ": " << response->body;
  }
}

TEST(PrimePool, ClientThatLeftDoesNotDisturbTheWorker) {
  ServerProcess server({"--workers", "1"});
  {
    TcpClient leaver(server.port());
    leaver.send(get_request("/prime/1000000000039"));  // ~10 ms of trial division
  }
  EXPECT_EQ(prime(server.port(), "97")["prime"], true);
  EXPECT_EQ(metric(server.port(), "loadlab_prime_worker_restarts_total"), 0);
}

// Quick jobs from many clients: a worker often answers before libuv has run the callback of
// the write that sent it the job, and must not be handed the next job (reusing its write
// request) until then. This crashed the server within a few hundred jobs.
// Clients that ask for costly jobs and leave: their queued jobs are dropped, so nobody waits
// behind work nobody wants.
TEST(PrimePool, QueuedJobsOfClientsThatLeftAreDropped) {
  ServerProcess server({"--workers", "1", "--job-timeout-ms", kNoJobTimeout});
  const int worker = only_worker(server);
  ASSERT_NE(worker, 0);
  kill(worker, SIGSTOP);  // holds the job below until the test is done with the queue
  TcpClient stays(server.port());
  stays.send(get_request(std::string("/prime/") + kCostlyButQuick));  // keeps the only worker busy
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_workers_busy") == 1; }));
  {
    std::vector<std::unique_ptr<TcpClient>> leavers;
    for (int i = 0; i < 3; ++i) {  // trial division of the largest 64-bit prime: seconds each
      leavers.push_back(std::make_unique<TcpClient>(server.port()));
      leavers.back()->send(get_request("/prime/18446744073709551557"));
    }
    ASSERT_TRUE(
        eventually([&] { return metric(server.port(), "loadlab_prime_queue_depth") == 3; }));
  }  // ...and they all leave
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "loadlab_prime_queue_depth") == 0; }));
  EXPECT_EQ(metric(server.port(), R"(loadlab_prime_jobs_total{outcome="cancelled"})"), 3);
  kill(worker, SIGCONT);
  const auto response = stays.read_response(60s);  // the one that stayed is answered
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(metric(server.port(), "loadlab_prime_worker_restarts_total"),
            0);  // no worker disturbed
}

TEST(PrimePool, QuickJobsBackToBackKeepTheServerUp) {
  ServerProcess server({"--workers", "2"});
  const auto run = run_command(
      {LOADLAB_LOADGEN_BIN, "-n", "3000", "-c", "20", "-q", "--json", "-",
       "http://127.0.0.1:" + std::to_string(server.port()) + "/prime/{rand:1000:100000}"},
      150s);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto report = nlohmann::json::parse(run.out);
  EXPECT_EQ(report["status_codes"]["200"], 3000) << run.out;
  EXPECT_FALSE(server.wait_exit(0ms)) << server.stderr_text();
  EXPECT_EQ(prime(server.port(), "97")["prime"], true);
}

TEST(PrimePool, ShutdownFinishesJobsAndLeavesNoZombie) {
  auto server = std::make_unique<ServerProcess>(
      std::vector<std::string>{"--workers", "2", "--job-timeout-ms", kNoJobTimeout});
  ASSERT_TRUE(eventually([&] { return metric(server->port(), "loadlab_prime_workers") == 2; }));
  const std::set<int> workers = children_of(server->pid());
  for (int worker : workers) kill(worker, SIGSTOP);  // the job is surely in flight at the SIGTERM
  TcpClient client(server->port());
  client.send(get_request(std::string("/prime/") + kCostlyButQuick));
  ASSERT_TRUE(
      eventually([&] { return metric(server->port(), "loadlab_prime_workers_busy") == 1; }));
  server->signal(SIGTERM);
  for (int worker : workers) kill(worker, SIGCONT);
  const auto response = client.read_response(60s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(server->wait_exit(60s), 0);
  // Its workers were reaped by the server (none left as children of init either, by name).
  const pid_t pid = server->pid();
  EXPECT_TRUE(children_of(pid).empty());
}

// A client that said "Connection: close" is not read from while its job runs, so during a
// drain nothing but the job's answer keeps its loop alive: the loop ended under it (an empty
// reply), and the connection it left was closed on a pool already gone (a segfault at exit).
TEST(PrimePool, ADrainWaitsForTheJobOfAClientThatIsNotReadFrom) {
  auto server = std::make_unique<ServerProcess>(
      std::vector<std::string>{"--threads", "1", "--workers", "1", "--job-timeout-ms",
                               kNoJobTimeout, "--header-timeout-ms", "200"});
  const int worker = only_worker(*server);
  ASSERT_NE(worker, 0);
  kill(worker, SIGSTOP);  // the job waits until the drain has begun
  TcpClient client(server->port());
  client.send(get_request(std::string("/prime/") + kCostlyButQuick, "Connection: close\r\n"));
  ASSERT_TRUE(
      eventually([&] { return metric(server->port(), "loadlab_prime_workers_busy") == 1; }));
  // Not a wait for a condition: the connection's header timer, armed while the request was
  // read, may keep the loop alive until it fires; past it, only the job can. (On a machine
  // too slow for this the test passes without showing anything, it never fails.)
  std::this_thread::sleep_for(1s);
  server->signal(SIGTERM);
  // Draining once new connections are refused (the listener is closed).
  EXPECT_TRUE(eventually([&] { return !TcpClient(server->port()).connected(); }));
  kill(worker, SIGCONT);
  const auto response = client.read_response(60s);
  ASSERT_TRUE(response) << "the drain did not wait for the job";
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(server->wait_exit(60s), 0);
}

}  // namespace
}  // namespace loadlab::test
