// The frames the server and its /prime workers exchange over the worker's stdin/stdout pipes,
// and the one reader both ends decode them with (server/worker_pool.cpp reads results,
// server/prime_worker.cpp reads jobs; tests/fuzz/worker_frames_fuzz.cpp fuzzes both).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace loadlab::server {

// Fixed-size, native-endian frames: both ends are the same binary on the same machine.
// The pool may write several job frames at once (cheap jobs, under load); a worker answers
// them in order, and the results of what it read in one go in one write.
inline constexpr std::size_t kMaxFramesPerWorker = 16;

struct JobFrame {
  std::uint64_t job_id;
  std::uint64_t n;
  std::uint64_t method;  // 0 trial, 1 Miller-Rabin
};

struct ResultFrame {
  std::uint64_t job_id;
  std::uint64_t prime;
  std::uint64_t divisor;
  std::uint64_t started_ns;  // CLOCK_MONOTONIC, the clock of uv_hrtime(): when computing began
  std::uint64_t compute_ns;
};

// What no correct peer sends. The frames carry no length or marker, so a frame that is not
// valid means the stream is out of step (or the peer is broken): nothing after it can be
// trusted, and the reader stops there.
bool valid_frame(const JobFrame& frame);
bool valid_frame(const ResultFrame& frame);

// Accumulates the bytes of a pipe, as reads deliver them (split anywhere), and yields its
// complete frames in order. It holds at most kMaxFramesPerWorker frames: a read goes only into
// space(), never past it, so nothing a peer sends can make it grow.
template <typename Frame>
class FrameReader {
 public:
  static constexpr std::size_t kCapacity = sizeof(Frame) * kMaxFramesPerWorker;

  // Where the next read goes and how much it may deliver (never 0 while the reader is good:
  // after take() at most a partial frame is held).
  char* space() { return buffer_ + filled_; }
  std::size_t space_size() const { return failed_ ? 0 : kCapacity - filled_; }

  // `n` bytes were read into space(). More than it offered is an error: false, the reader fails.
  bool commit(std::size_t n) {
    if (failed_ || n > space_size()) {
      fail();
      return false;
    }
    filled_ += n;
    return true;
  }

  // Moves the complete frames held into `out` (room for every frame the reader can hold),
  // in order, up to the first invalid one; a partial frame stays for the next read. Returns
  // how many were moved. Once a frame was invalid, failed() is true and nothing more is yielded.
  std::size_t take(std::span<Frame, kMaxFramesPerWorker> out) {
    if (failed_) return 0;
    const std::size_t complete = filled_ / sizeof(Frame);
    std::size_t count = 0;
    for (; count < complete; ++count) {
      std::memcpy(&out[count], buffer_ + count * sizeof(Frame), sizeof(Frame));
      if (!valid_frame(out[count])) {
        fail();
        return count;
      }
    }
    filled_ -= complete * sizeof(Frame);
    std::memmove(buffer_, buffer_ + complete * sizeof(Frame), filled_);
    return count;
  }

  bool failed() const { return failed_; }
  // Bytes of a frame not complete yet: at the end of the stream, a frame cut short.
  std::size_t partial_bytes() const { return failed_ ? 0 : filled_; }

 private:
  void fail() {
    failed_ = true;
    filled_ = 0;
  }

  char buffer_[kCapacity] = {};
  std::size_t filled_ = 0;
  bool failed_ = false;
};

}  // namespace loadlab::server
