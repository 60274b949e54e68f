#include "server/worker_frames.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace loadlab::server {
namespace {

template <typename Frame>
std::string bytes_of(const std::vector<Frame>& frames) {
  std::string out(frames.size() * sizeof(Frame), '\0');
  if (!frames.empty()) std::memcpy(out.data(), frames.data(), out.size());
  return out;
}

// Feeds `bytes` to the reader in reads of at most `piece` bytes (and never more than it
// offers), collecting every frame it yields.
template <typename Frame>
std::vector<Frame> feed(FrameReader<Frame>& reader, const std::string& bytes, std::size_t piece) {
  std::vector<Frame> got;
  Frame frames[kMaxFramesPerWorker];
  for (std::size_t at = 0; at < bytes.size() && !reader.failed();) {
    const std::size_t n = std::min({piece, bytes.size() - at, reader.space_size()});
    std::memcpy(reader.space(), bytes.data() + at, n);
    EXPECT_TRUE(reader.commit(n));
    at += n;
    const std::size_t count = reader.take(frames);
    got.insert(got.end(), frames, frames + count);
  }
  return got;
}

bool same(const JobFrame& a, const JobFrame& b) { return std::memcmp(&a, &b, sizeof a) == 0; }
bool same(const ResultFrame& a, const ResultFrame& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(WorkerFrames, FramesSplitAcrossReadsComeOutWholeAndInOrder) {
  std::vector<JobFrame> jobs;
  for (std::uint64_t i = 0; i < 40; ++i) jobs.push_back(JobFrame{i + 1, 1000 + i, i % 2});
  const std::string bytes = bytes_of(jobs);
  for (std::size_t piece : {std::size_t{1}, std::size_t{5}, sizeof(JobFrame) - 1,
                            sizeof(JobFrame) + 3, std::size_t{1000}}) {
    FrameReader<JobFrame> reader;
    const std::vector<JobFrame> got = feed(reader, bytes, piece);
    ASSERT_EQ(got.size(), jobs.size()) << piece;
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_TRUE(same(got[i], jobs[i])) << piece << " " << i;
    EXPECT_FALSE(reader.failed());
    EXPECT_EQ(reader.partial_bytes(), 0u);
  }
}

TEST(WorkerFrames, APartialFrameWaitsForItsRest) {
  const std::vector<ResultFrame> results{ResultFrame{7, 0, 3, 100, 20}};
  const std::string bytes = bytes_of(results);
  FrameReader<ResultFrame> reader;
  ResultFrame frames[kMaxFramesPerWorker];
  std::memcpy(reader.space(), bytes.data(), bytes.size() - 1);
  ASSERT_TRUE(reader.commit(bytes.size() - 1));
  EXPECT_EQ(reader.take(frames), 0u);
  EXPECT_EQ(reader.partial_bytes(), bytes.size() - 1);  // at EOF: a frame cut short
  std::memcpy(reader.space(), bytes.data() + bytes.size() - 1, 1);
  ASSERT_TRUE(reader.commit(1));
  ASSERT_EQ(reader.take(frames), 1u);
  EXPECT_TRUE(same(frames[0], results[0]));
  EXPECT_EQ(reader.partial_bytes(), 0u);
}

TEST(WorkerFrames, AReadNeverGrowsTheBufferPastItsBound) {
  FrameReader<JobFrame> reader;
  EXPECT_EQ(reader.space_size(), sizeof(JobFrame) * kMaxFramesPerWorker);
  // Delivering more than the space offered is an error, not an overflow.
  EXPECT_FALSE(reader.commit(reader.space_size() + 1));
  EXPECT_TRUE(reader.failed());
  EXPECT_EQ(reader.space_size(), 0u);
  JobFrame frames[kMaxFramesPerWorker];
  EXPECT_EQ(reader.take(frames), 0u);
}

TEST(WorkerFrames, AFullBufferOfFramesIsTakenInOneGo) {
  std::vector<JobFrame> jobs(kMaxFramesPerWorker, JobFrame{1, 2, 0});
  const std::string bytes = bytes_of(jobs);
  FrameReader<JobFrame> reader;
  ASSERT_EQ(reader.space_size(), bytes.size());
  std::memcpy(reader.space(), bytes.data(), bytes.size());
  ASSERT_TRUE(reader.commit(bytes.size()));
  JobFrame frames[kMaxFramesPerWorker];
  EXPECT_EQ(reader.take(frames), kMaxFramesPerWorker);
  EXPECT_EQ(reader.space_size(), bytes.size());
}

TEST(WorkerFrames, AnInvalidFrameStopsTheStreamAfterTheFramesBeforeIt) {
  // Garbage: a method that does not exist, in the middle of valid jobs.
  std::vector<JobFrame> jobs{JobFrame{1, 10, 0}, JobFrame{2, 11, 1}, JobFrame{3, 12, 7},
                             JobFrame{4, 13, 0}};
  FrameReader<JobFrame> reader;
  const std::vector<JobFrame> got = feed(reader, bytes_of(jobs), 1000);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].job_id, 2u);
  EXPECT_TRUE(reader.failed());
  // Nothing after it is yielded, however valid it looks.
  const std::vector<JobFrame> more =
      feed(reader, bytes_of(std::vector<JobFrame>{JobFrame{5, 14, 0}}), 1000);
  EXPECT_TRUE(more.empty());
}

TEST(WorkerFrames, ResultsNoCorrectWorkerSendsAreInvalid) {
  EXPECT_TRUE(valid_frame(ResultFrame{1, 1, 0, 0, 0}));   // prime
  EXPECT_TRUE(valid_frame(ResultFrame{1, 0, 3, 0, 0}));   // composite with a divisor
  EXPECT_TRUE(valid_frame(ResultFrame{1, 0, 0, 0, 0}));   // composite, Miller-Rabin: no divisor
  EXPECT_FALSE(valid_frame(ResultFrame{1, 2, 0, 0, 0}));  // prime is a boolean
  EXPECT_FALSE(valid_frame(ResultFrame{1, 1, 5, 0, 0}));  // a prime has no divisor
  EXPECT_FALSE(valid_frame(ResultFrame{1, 0, 1, 0, 0}));  // a divisor is > 1
  std::string garbage(sizeof(ResultFrame) * 3, '\xff');
  FrameReader<ResultFrame> reader;
  EXPECT_TRUE(feed(reader, garbage, 7).empty());
  EXPECT_TRUE(reader.failed());
}

}  // namespace
}  // namespace loadlab::server
