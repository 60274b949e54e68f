#include "common/http_date.h"

#include <gtest/gtest.h>

namespace loadlab {
namespace {

TEST(HttpDate, FormatsImfFixdate) {
  HttpDate date;
  EXPECT_EQ(date.at(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(date.at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpDate, NowHasTheFixedLength) { EXPECT_EQ(HttpDate{}.now().size(), 29u); }

}  // namespace
}  // namespace loadlab
