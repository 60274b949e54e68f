// An event loop's context as a handler has it in the server, for handler unit tests: a real
// uv loop and timers, no connections (answers through LoopContext::complete() find none).
#pragma once

#include <netinet/in.h>

#include <memory>

#include "server/config.h"
#include "server/loop_context.h"
#include "server/shared_state.h"

namespace loadlab::server {

struct HandlerLoop {
  HandlerLoop() {
    config.threads = 1;
    shared = std::make_unique<SharedState>(config);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    loop = std::make_unique<LoopContext>(*shared, 0, reinterpret_cast<const sockaddr*>(&address));
  }

  ServerConfig config;
  std::unique_ptr<SharedState> shared;
  std::unique_ptr<LoopContext> loop;
};

}  // namespace loadlab::server
