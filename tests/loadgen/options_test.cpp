#include "loadgen/options.h"

#include <gtest/gtest.h>

namespace loadlab::loadgen {
namespace {

TEST(Options, Durations) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250u);
  EXPECT_EQ(parse_duration_ms("10s"), 10000u);
  EXPECT_EQ(parse_duration_ms("10"), 10000u);
  EXPECT_EQ(parse_duration_ms("2m"), 120000u);
  EXPECT_EQ(parse_duration_ms("1h"), 3600000u);
  for (const char* bad : {"", "s", "10x", "-1s", "1.5s", "ms10"}) EXPECT_THROW(parse_duration_ms(bad), std::invalid_argument) << bad;
}

TEST(Options, FinalizeChecksTheCombination) {
  RunOptions options;
  EXPECT_THROW(finalize_options(options), std::invalid_argument);  // no URL
  options.urls = {"http://127.0.0.1:1/"};
  finalize_options(options);
  EXPECT_EQ(options.requests, 1000u);  // the default budget
  EXPECT_NE(options.seed, 0u);
  options.duration_ms = 1000;
  EXPECT_THROW(finalize_options(options), std::invalid_argument);  // -n and -d
  options.duration_ms.reset();
  options.headers = {"NoColon"};
  EXPECT_THROW(finalize_options(options), std::invalid_argument);
}

}  // namespace
}  // namespace loadlab::loadgen
