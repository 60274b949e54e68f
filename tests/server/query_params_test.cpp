#include "server/query_params.h"

#include <gtest/gtest.h>

namespace loadlab::server {
namespace {

QueryParams parsed(std::string_view query, std::initializer_list<std::string_view> accepted) {
  auto result = QueryParams::parse(query, accepted);
  if (auto* error = std::get_if<ParamError>(&result)) {
    ADD_FAILURE() << "parse('" << query << "') failed: " << error->message;
    return std::get<QueryParams>(QueryParams::parse("", {}));
  }
  return std::get<QueryParams>(std::move(result));
}

std::string error_of(std::string_view query, std::initializer_list<std::string_view> accepted) {
  auto result = QueryParams::parse(query, accepted);
  if (auto* error = std::get_if<ParamError>(&result)) return error->message;
  ADD_FAILURE() << "parse('" << query << "') accepted";
  return {};
}

TEST(QueryParams, EmptyQueryAndEmptyPairsAreNoParameters) {
  EXPECT_TRUE(parsed("", {}).empty());
  EXPECT_TRUE(parsed("&&", {"a"}).empty());
  const auto params = parsed("a=1&&b=2&", {"a", "b"});
  EXPECT_EQ(params.get("a"), "1");
  EXPECT_EQ(params.get("b"), "2");
}

TEST(QueryParams, DecodesEscapesAndPlus) {
  const auto params = parsed("a=x%2Fy+z&b%31=%41", {"a", "b1"});
  EXPECT_EQ(params.get("a"), "x/y z");
  EXPECT_EQ(params.get("b1"), "A");
  EXPECT_FALSE(params.get("c").has_value());
}

TEST(QueryParams, BareNameHasEmptyValue) {
  const auto params = parsed("chunked", {"chunked"});
  EXPECT_TRUE(params.has("chunked"));
  EXPECT_EQ(params.get("chunked"), "");
}

TEST(QueryParams, RefusesUnknownNameAndListsTheAcceptedOnes) {
  const std::string message = error_of("jitter=5&colour=red", {"jitter", "status"});
  EXPECT_NE(message.find("'colour'"), std::string::npos) << message;
  EXPECT_NE(message.find("jitter, status"), std::string::npos) << message;
  EXPECT_NE(error_of("x=1", {}).find("takes no query parameters"), std::string::npos);
}

TEST(QueryParams, RefusesRepeatedName) {
  EXPECT_NE(error_of("a=1&a=2", {"a"}).find("given twice"), std::string::npos);
  EXPECT_NE(error_of("a=1&%61=2", {"a"}).find("given twice"), std::string::npos);
}

TEST(QueryParams, RefusesMalformedEscapes) {
  for (const char* query : {"a=%", "a=%4", "a=%zz", "a%=1", "a=1%G0"}) {
    EXPECT_NE(error_of(query, {"a"}).find("percent-escape"), std::string::npos) << query;
  }
}

TEST(QueryParams, WholeNumberInBoundsOrFallback) {
  const auto params = parsed("n=42", {"n", "m"});
  EXPECT_EQ(std::get<std::uint64_t>(params.whole_number("n", 0, 100, 7)), 42u);
  EXPECT_EQ(std::get<std::uint64_t>(params.whole_number("m", 0, 100, 7)), 7u);
}

TEST(QueryParams, WholeNumberErrorNamesParameterAndBounds) {
  for (const char* query : {"n=101", "n=-1", "n=1.5", "n=", "n=0x10", "n=99999999999999999999"}) {
    const auto params = parsed(query, {"n"});
    const auto result = params.whole_number("n", 1, 100, 1);
    ASSERT_TRUE(std::holds_alternative<ParamError>(result)) << query;
    EXPECT_EQ(
        std::get<ParamError>(result).message.rfind("n must be a whole number from 1 to 100", 0), 0u)
        << std::get<ParamError>(result).message;
  }
  const auto low = parsed("n=0", {"n"}).whole_number("n", 1, 100, 1);
  EXPECT_TRUE(std::holds_alternative<ParamError>(low));
}

TEST(QueryParams, QuotesLongValuesShortened) {
  const std::string value(10'000, '9');
  const auto params = parsed("n=" + value, {"n"});
  const auto result = params.whole_number("n", 0, 10, 0);
  ASSERT_TRUE(std::holds_alternative<ParamError>(result));
  EXPECT_LT(std::get<ParamError>(result).message.size(), 200u);
}

TEST(QueryParams, Flags) {
  const auto params = parsed("a&b=1&c=true&d=0&e=false&f=yes", {"a", "b", "c", "d", "e", "f", "g"});
  EXPECT_TRUE(std::get<bool>(params.flag("a", false)));
  EXPECT_TRUE(std::get<bool>(params.flag("b", false)));
  EXPECT_TRUE(std::get<bool>(params.flag("c", false)));
  EXPECT_FALSE(std::get<bool>(params.flag("d", true)));
  EXPECT_FALSE(std::get<bool>(params.flag("e", true)));
  EXPECT_TRUE(std::holds_alternative<ParamError>(params.flag("f", false)));
  EXPECT_TRUE(std::get<bool>(params.flag("g", true)));
}

TEST(QueryParams, ParseAnyKeepsEveryNameAndRepeatsInOrder) {
  auto result = QueryParams::parse_any("b=2&a=1&b=3&flag&x=%41+B");
  ASSERT_TRUE(std::holds_alternative<QueryParams>(result));
  const auto& pairs = std::get<QueryParams>(result).pairs();
  ASSERT_EQ(pairs.size(), 5u);
  EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"b", "2"}));
  EXPECT_EQ(pairs[2], (std::pair<std::string, std::string>{"b", "3"}));
  EXPECT_EQ(pairs[3], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(pairs[4], (std::pair<std::string, std::string>{"x", "A B"}));
  EXPECT_TRUE(std::holds_alternative<ParamError>(QueryParams::parse_any("a=%4")));
}

}  // namespace
}  // namespace loadlab::server
