// Fuzz target: the worker pipe protocol, both directions (server/worker_frames.h): job frames
// as a worker reads them from the server, result frames as the server reads them from a
// worker. The first byte picks the direction and how reads split the stream (sizes from the
// next bytes); the rest is the stream. Whatever arrives, split however, the reader yields
// exactly the frames decoding the whole stream at once yields (the valid frames before the
// first invalid one), never holds more than its bound, and stops at an invalid frame.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "server/worker_frames.h"

namespace {

using namespace loadlab::server;

template <typename Frame>
void check(const std::uint8_t* stream, std::size_t size, const std::uint8_t* splits,
           std::size_t split_count) {
  // What the stream says, decoded in one pass with no reader: the reference.
  std::size_t expected = 0;
  bool expect_failure = false;
  for (; (expected + 1) * sizeof(Frame) <= size; ++expected) {
    Frame frame;
    std::memcpy(&frame, stream + expected * sizeof(Frame), sizeof frame);
    if (!valid_frame(frame)) {
      expect_failure = true;
      break;
    }
  }

  FrameReader<Frame> reader;
  Frame frames[kMaxFramesPerWorker];
  std::size_t got = 0;
  std::size_t at = 0;
  for (std::size_t read = 0; at < size && !reader.failed(); ++read) {
    const std::size_t room = reader.space_size();
    if (room == 0 || room > FrameReader<Frame>::kCapacity)
      std::abort();  // a good reader always has room
    // Reads of 1..256 bytes as the split bytes say (cycled), never more than offered: a pipe
    // read is bounded by the buffer it is given.
    const std::size_t wanted = split_count == 0 ? size : 1 + splits[read % split_count];
    const std::size_t n = std::min({wanted, size - at, room});
    std::memcpy(reader.space(), stream + at, n);
    if (!reader.commit(n)) std::abort();
    at += n;
    const std::size_t count = reader.take(frames);
    for (std::size_t i = 0; i < count; ++i, ++got) {
      if (got >= expected) std::abort();  // a frame the stream does not hold
      if (std::memcmp(&frames[i], stream + got * sizeof(Frame), sizeof(Frame)) != 0) std::abort();
    }
    if (!reader.failed() && reader.partial_bytes() >= sizeof(Frame))
      std::abort();  // a whole frame kept back
  }
  if (got != expected || reader.failed() != expect_failure) std::abort();
  if (!reader.failed() && reader.partial_bytes() != size % sizeof(Frame)) std::abort();
  // Past its bound, a read is refused and the reader fails rather than overflow.
  if (!reader.failed() && reader.commit(reader.space_size() + 1)) std::abort();
  if (!reader.failed() || reader.take(frames) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool results = data[0] & 0x80;             // which direction
  const std::size_t split_count = data[0] & 0x07;  // read sizes: the next 0..7 bytes
  if (size < 1 + split_count) return 0;
  const std::uint8_t* splits = data + 1;
  const std::uint8_t* stream = splits + split_count;
  const std::size_t stream_size = size - 1 - split_count;
  if (results) {
    check<ResultFrame>(stream, stream_size, splits, split_count);
  } else {
    check<JobFrame>(stream, stream_size, splits, split_count);
  }
  return 0;
}
