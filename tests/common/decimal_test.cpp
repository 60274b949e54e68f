#include "common/decimal.h"

#include <gtest/gtest.h>

namespace loadlab {
namespace {

TEST(ParseDecimalU64, AcceptsPlainDigits) {
  EXPECT_EQ(parse_decimal_u64("0"), 0u);
  EXPECT_EQ(parse_decimal_u64("007"), 7u);
  EXPECT_EQ(parse_decimal_u64("60000"), 60000u);
  EXPECT_EQ(parse_decimal_u64("18446744073709551615"), UINT64_MAX);
}

TEST(ParseDecimalU64, RejectsEverythingElse) {
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1.5", "0x10", "1e3", "abc", "12a",
                          "18446744073709551616", "99999999999999999999999"}) {
    EXPECT_FALSE(parse_decimal_u64(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace loadlab
