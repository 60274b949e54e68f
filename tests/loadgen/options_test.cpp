#include "loadgen/options.h"

#include <gtest/gtest.h>

#include <fstream>

#include "loadgen/target.h"

namespace loadlab::loadgen {
namespace {

TEST(Options, Durations) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250u);
  EXPECT_EQ(parse_duration_ms("10s"), 10000u);
  EXPECT_EQ(parse_duration_ms("10"), 10000u);
  EXPECT_EQ(parse_duration_ms("2m"), 120000u);
  EXPECT_EQ(parse_duration_ms("1h"), 3600000u);
  for (const char* bad : {"", "s", "10x", "-1s", "1.5s", "ms10"})
    EXPECT_THROW(parse_duration_ms(bad), std::invalid_argument) << bad;
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

TEST(Options, UrlsFileLinesAreTrimmed) {
  const std::string path = testing::TempDir() + "/trimmed_urls.txt";
  std::ofstream(path) << "  http://127.0.0.1:1/a \t\r\n\t3   http://127.0.0.1:1/b\t\n   \n  # a "
                         "comment\nhttp://127.0.0.1:1/c \n";
  RunOptions options;
  options.urls_file = path;
  finalize_options(options);
  EXPECT_EQ(options.urls, (std::vector<std::string>{"http://127.0.0.1:1/a", "http://127.0.0.1:1/b",
                                                    "http://127.0.0.1:1/c"}));
  EXPECT_EQ(options.weights, (std::vector<unsigned>{1, 3, 1}));
}

TEST(Options, AUrlWithASpaceOrControlCharacterIsRefusedByName) {
  for (const char* url :
       {"http://127.0.0.1:1/a b", "http://127.0.0.1:1/a\x01", "http://127.0.0.1:1/\x7f"}) {
    try {
      parse_target(url);
      ADD_FAILURE() << url;
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("http://127.0.0.1:1/"), std::string::npos)
          << error.what();
    }
  }
}

TEST(Options, TheRateHasALowerBoundAndASchedulesSpanIsBounded) {
  RunOptions options;
  options.urls = {"http://127.0.0.1:1/"};
  options.rate = 1e-300;
  EXPECT_THROW(finalize_options(options), std::invalid_argument);
  options.rate = 0.001;
  options.requests = 100'000'000;  // 3 170 years
  EXPECT_THROW(finalize_options(options), std::invalid_argument);
  options.requests = 1000;  // 11.6 days at 1 s intervals: fine
  finalize_options(options);
}

}  // namespace
}  // namespace loadlab::loadgen
