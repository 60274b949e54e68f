#include "server/handlers/bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "server/router.h"

namespace loadlab::server {
namespace {

std::string bytes(std::uint64_t seed, std::uint64_t offset, std::size_t count) {
  std::string out;
  append_random_bytes(out, seed, offset, count);
  return out;
}

TEST(BytesHandler, TheSameSeedGivesTheSameBytes) {
  EXPECT_EQ(bytes(42, 0, 4096), bytes(42, 0, 4096));
  EXPECT_NE(bytes(42, 0, 4096), bytes(43, 0, 4096));
  EXPECT_EQ(bytes(42, 0, 0), "");
}

TEST(BytesHandler, TheStreamIsCounterModeSplitmix64) {
  // docs/server.md names the generator: a client may reproduce a body from its X-Seed. These
  // are seed 42's first 20 bytes as its three words give them (computed independently).
  std::string hex;
  for (const char c : bytes(42, 0, 20)) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[static_cast<unsigned char>(c) >> 4];
    hex += kDigits[static_cast<unsigned char>(c) & 15];
  }
  EXPECT_EQ(hex, "956eeb2f2632d7bd03f166b233e3ef28529f0f13");
  EXPECT_EQ(bytes(42, 3, 17), bytes(42, 0, 20).substr(3));
}

TEST(BytesHandler, AnyRangeIsPartOfTheSameStream) {
  const std::string whole = bytes(7, 0, 1000);
  for (const std::uint64_t offset : {0, 1, 7, 8, 9, 63, 500}) {
    for (const std::size_t count : {0, 1, 3, 8, 17, 200}) {
      EXPECT_EQ(bytes(7, offset, count), whole.substr(offset, count)) << offset << "+" << count;
    }
  }
  std::string appended = "head";
  append_random_bytes(appended, 7, 0, 10);
  EXPECT_EQ(appended, "head" + whole.substr(0, 10));
}

TEST(BytesHandler, BytesLookRandom) {
  const std::string data = bytes(1, 0, 1 << 16);
  int counts[256] = {};
  for (const char c : data) ++counts[static_cast<unsigned char>(c)];
  for (const int count : counts) {
    EXPECT_GT(count, 128);  // 256 expected each
    EXPECT_LT(count, 384);
  }
}

TEST(BytesHandler, RouteParameters) {
  const RouterLimits limits{60000, 1000};
  const auto route =
      std::get<Route>(parse_bytes_route("1000", "seed=5&chunked=1&chunk=10", limits));
  EXPECT_EQ(route.kind, RouteKind::kBytes);
  EXPECT_EQ(route.body.bytes, 1000u);
  EXPECT_EQ(route.body.seed, 5u);
  EXPECT_TRUE(route.body.seeded);
  EXPECT_EQ(route.body.chunk, 10u);
  const auto plain = std::get<Route>(parse_bytes_route("0", "", limits));
  EXPECT_FALSE(plain.body.seeded);
  EXPECT_EQ(plain.body.chunk, 0u);
  EXPECT_EQ(std::get<Route>(parse_bytes_route("1", "chunked=1", limits)).body.chunk,
            kDefaultChunkBytes);
  for (const auto& [count, query] :
       std::initializer_list<std::pair<const char*, const char*>>{{"1001", ""},
                                                                  {"-1", ""},
                                                                  {"", ""},
                                                                  {"1", "size=1"},
                                                                  {"1", "chunk=5"},
                                                                  {"1", "chunked=1&chunk=0"},
                                                                  {"1", "chunked=1&chunk=1048577"},
                                                                  {"1", "seed=x"}}) {
    const auto result = parse_bytes_route(count, query, limits);
    ASSERT_TRUE(std::holds_alternative<HttpError>(result)) << count << "?" << query;
    EXPECT_EQ(std::get<HttpError>(result).status, 400);
  }
}

}  // namespace
}  // namespace loadlab::server
