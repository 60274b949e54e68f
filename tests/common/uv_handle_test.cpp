// Each kind of handle owner dropped in the middle of its I/O, then the loop run to its end.
// What is checked is mostly what ASan/LSan see: no callback reaching the freed owner, no handle
// freed before libuv is done with it, nothing left behind. Under a plain build the EXPECTs on
// `reached` still catch a callback that gets through.
#include "common/uv_handle.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <string>

#include "common/uv_process.h"
#include "common/uv_stream.h"

// libuv is not built with ASan, so its own reads of a handle freed too early would go unseen:
// freed memory is scribbled over instead, and such a read then fails loudly. (Only an ASan
// build calls this.)
extern "C" const char* __asan_default_options() {
  return "max_free_fill_size=4096:free_fill_byte=190";
}

namespace loadlab {
namespace {

// A buffer bigger than any pipe or loopback socket buffer: most of it stays queued in libuv.
std::string big_payload() { return std::string(32 * 1024 * 1024, 'x'); }

TEST(UvHandle, TimerDroppedWhileArmed) {
  EventLoop loop;
  bool reached = false;
  struct Owner {
    explicit Owner(uv_loop_t* l, bool& r) : timer(l), reached(r) {}
    void on_timer() { reached = true; }
    Timer timer;
    bool& reached;
  };
  auto owner = std::make_unique<Owner>(loop.get(), reached);
  owner->timer.start<&Owner::on_timer>(owner.get(), 0);
  owner.reset();
  loop.run();
  EXPECT_FALSE(reached);
}

struct PipeOwner {
  explicit PipeOwner(bool& r) : reached(r) {}
  uv_buf_t read_buffer() { return uv_buf_init(buffer, sizeof buffer); }
  void on_read(ssize_t, const uv_buf_t*) { reached = true; }
  void on_written(int) { reached = true; }
  char buffer[256];
  std::string payload = big_payload();
  bool& reached;
  Pipe pipe;  // last: dropped before the buffers it was given
};

TEST(UvHandle, PipeDroppedWithReadPending) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  bool reached = false;
  auto owner = std::make_unique<PipeOwner>(reached);
  ASSERT_EQ(owner->pipe.init(loop.get()), 0);
  ASSERT_EQ(owner->pipe.open(fds[0]), 0);
  ASSERT_EQ((owner->pipe.read_start<&PipeOwner::read_buffer, &PipeOwner::on_read>(owner.get())), 0);
  ASSERT_EQ(write(fds[1], "data", 4), 4);  // readable now, read on the next turn
  owner.reset();
  loop.run();
  EXPECT_FALSE(reached);
  close(fds[1]);
}

TEST(UvHandle, PipeDroppedWithWritePending) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  bool reached = false;
  auto owner = std::make_unique<PipeOwner>(reached);
  ASSERT_EQ(owner->pipe.init(loop.get()), 0);
  ASSERT_EQ(owner->pipe.open(fds[1]), 0);
  uv_buf_t buf = uv_buf_init(owner->payload.data(), static_cast<unsigned>(owner->payload.size()));
  ASSERT_EQ(owner->pipe.write<&PipeOwner::on_written>(owner.get(), &buf, 1),
            0);   // nobody reads fds[0]
  owner.reset();  // the write is cancelled by the close, its request still in use by libuv
  loop.run();
  EXPECT_FALSE(reached);
  close(fds[0]);
}

// A child with a pipe each way, like a /prime worker: dropped while it runs, a read pending
// on its stdout and a write to its stdin perhaps still queued.
TEST(UvHandle, ProcessDroppedWhileChildRuns) {
  EventLoop loop;
  bool reached = false;
  struct Owner {
    explicit Owner(bool& r) : reached(r) {}
    void on_exit(std::int64_t, int) { reached = true; }
    uv_buf_t read_buffer() { return uv_buf_init(buffer, sizeof buffer); }
    void on_read(ssize_t, const uv_buf_t*) { reached = true; }
    void on_written(int) { reached = true; }
    char buffer[256];
    std::string payload = big_payload();
    bool& reached;
    Pipe to_child;
    Pipe from_child;
    Process process;
  };
  auto owner = std::make_unique<Owner>(reached);
  ASSERT_EQ(owner->to_child.init(loop.get()), 0);
  ASSERT_EQ(owner->from_child.init(loop.get()), 0);
  char file[] = "/bin/cat";
  char* args[] = {file, nullptr};
  uv_stdio_container_t stdio[3];
  stdio[0].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = owner->to_child.get();
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = owner->from_child.get();
  stdio[2].flags = UV_IGNORE;
  uv_process_options_t options{};
  options.file = file;
  options.args = args;
  options.stdio = stdio;
  options.stdio_count = 3;
  ASSERT_EQ((owner->process.spawn<&Owner::on_exit>(loop.get(), owner.get(), options)), 0);
  const int pid = owner->process.pid();
  ASSERT_EQ((owner->from_child.read_start<&Owner::read_buffer, &Owner::on_read>(owner.get())), 0);
  uv_buf_t buf = uv_buf_init(owner->payload.data(), static_cast<unsigned>(owner->payload.size()));
  ASSERT_EQ(owner->to_child.write<&Owner::on_written>(owner.get(), &buf, 1), 0);
  owner.reset();
  loop.run();
  EXPECT_FALSE(reached);
  // libuv watches it no more: reap it here (cat may have seen EOF and exited already).
  kill(pid, SIGKILL);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
}

// A connected loopback pair of plain descriptors: `client` for the handle, `server` never read.
void loopback_pair(int& client, int& server) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(client, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  server = accept(listener, nullptr, nullptr);
  ASSERT_GE(server, 0);
  close(listener);
}

struct TcpOwner {
  explicit TcpOwner(bool& r) : reached(r) {}
  void on_written(int) { reached = true; }
  std::string payload = big_payload();
  bool& reached;
  TcpStream<> tcp;
};

TEST(UvHandle, TcpStreamDroppedWithWriteInFlight) {
  EventLoop loop;
  int client = -1;
  int server = -1;
  loopback_pair(client, server);
  bool reached = false;
  auto owner = std::make_unique<TcpOwner>(reached);
  ASSERT_EQ(owner->tcp.init(loop.get()), 0);
  ASSERT_EQ(owner->tcp.open(client), 0);
  uv_buf_t buf = uv_buf_init(owner->payload.data(), static_cast<unsigned>(owner->payload.size()));
  ASSERT_EQ(owner->tcp.write<&TcpOwner::on_written>(owner.get(), &buf, 1), 0);
  owner.reset();
  loop.run();
  EXPECT_FALSE(reached);
  close(server);
}

// The other way to let go, a connection's: the owner hears its cancelled write, then that the
// handle is closed, and frees itself there.
TEST(UvHandle, SelfFreeingOwnerHearsCancelledWriteThenClose) {
  EventLoop loop;
  int client = -1;
  int server = -1;
  loopback_pair(client, server);
  struct Events {
    int cancelled = 0;
    bool closed_after_cancel = false;
  } events;
  struct Owner {
    explicit Owner(Events& e) : events(e) {}
    void on_written(int status) { events.cancelled += status == UV_ECANCELED ? 1 : 0; }
    void on_closed() {
      events.closed_after_cancel = events.cancelled == 1;
      delete this;
    }
    Events& events;
    std::string payload = big_payload();
    TcpStream<> tcp;
  };
  auto* owner = new Owner(events);
  ASSERT_EQ(owner->tcp.init(loop.get()), 0);
  ASSERT_EQ(owner->tcp.open(client), 0);
  uv_buf_t buf = uv_buf_init(owner->payload.data(), static_cast<unsigned>(owner->payload.size()));
  ASSERT_EQ(owner->tcp.write<&Owner::on_written>(owner, &buf, 1), 0);
  owner->tcp.close<&Owner::on_closed>(owner);
  EXPECT_EQ(owner->tcp.try_write(&buf, 1), UV_EBADF);  // closed: the wrapper is empty
  loop.run();
  EXPECT_EQ(events.cancelled, 1);
  EXPECT_TRUE(events.closed_after_cancel);
  close(server);
}

}  // namespace
}  // namespace loadlab
