// loadlab-server: the talk's /N delay server and /prime process pool, on libuv + llhttp.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "common/logging.h"
#include "server/config.h"
#include "server/prime_worker.h"
#include "server/server.h"

namespace {
constexpr int kExitUsage = 2;  // a bad flag or value, as the loadgen and most tools
}  // namespace

int main(int argc, char** argv) {
  using namespace loadlab;
  // A /prime worker: the pool starts this same binary as `--prime-worker SERVER_PID` (see
  // worker_pool.h).
  if (argc == 3 && std::string_view(argv[1]) == server::kPrimeWorkerFlag)
    return server::run_prime_worker(argv[2]);
  server::ServerConfig config;
  CLI::App app{
      "loadlab-server: GET /N answers after N ms without blocking; GET /prime/N runs on a pool "
      "of worker processes. Every option can also be set through the environment variable shown.",
      "loadlab-server"};
  app.set_version_flag("--version", std::string("loadlab-server ") + LOADLAB_VERSION);
  server::add_server_options(app, config);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message, which names the flag and its bounds
    return kExitUsage;
  }
  if (const std::string problem = server::check_tls_options(config); !problem.empty()) {
    std::fprintf(stderr, "loadlab-server: %s\n", problem.c_str());
    return kExitUsage;
  }
  // Its default (8443) is only used with TLS on; given alone, it would be ignored silently.
  if (app.count("--tls-port") > 0 && !config.tls_enabled()) {
    std::fprintf(stderr,
                 "loadlab-server: --tls-port is the HTTPS port: it needs --tls-cert and "
                 "--tls-key, or --tls-self-signed\n");
    return kExitUsage;
  }

  try {
    server::resolve_defaults(config);
    setup_logging(config.log_level, config.log_format, "loadlab-server");
    // A client that resets mid-write must cost us an EPIPE return code, not the process.
    std::signal(SIGPIPE, SIG_IGN);
    server::Server server(config);
    return server.run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "loadlab-server: %s\n", error.what());
    return 1;
  }
}
