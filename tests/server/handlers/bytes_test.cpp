#include "server/handlers/bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "server/router.h"

namespace loadlab::server {
namespace {

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
