#include "common/logging.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace loadlab {
namespace {

TEST(JsonEscape, QuotesControlsAndBackslashes) {
  EXPECT_EQ(json_escape("a\"b\\c\nd\te\x01\x7f"), "a\\\"b\\\\c\\nd\\te\\u0001\\u007f");
}

TEST(JsonEscape, KeepsUtf8AndReplacesWhatIsNot) {
  EXPECT_EQ(json_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  // A lone continuation byte, a truncated sequence, an overlong form, a surrogate, > U+10FFFF.
  for (const char* bad :
       {"\x80", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff\xfe"}) {
    const std::string escaped = json_escape(bad);
    EXPECT_NE(escaped.find("\\ufffd"), std::string::npos) << escaped;
    EXPECT_NO_THROW(nlohmann::json::parse("\"" + escaped + "\"")) << escaped;
  }
}

}  // namespace
}  // namespace loadlab
