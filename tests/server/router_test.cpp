#include "server/router.h"

#include <gtest/gtest.h>

namespace loadlab::server {
namespace {

const RouterLimits kLimits{60000};

Route expect_route(std::string_view method, std::string_view target) {
  const RouteResult result = route_request(method, target, kLimits);
  EXPECT_TRUE(std::holds_alternative<Route>(result)) << target;
  return std::holds_alternative<Route>(result) ? std::get<Route>(result)
                                               : Route{RouteKind::kHealthz};
}

HttpError expect_error(std::string_view method, std::string_view target) {
  const RouteResult result = route_request(method, target, kLimits);
  EXPECT_TRUE(std::holds_alternative<HttpError>(result)) << target;
  return std::holds_alternative<HttpError>(result) ? std::get<HttpError>(result) : HttpError{0, ""};
}

TEST(Router, DelayWithAndWithoutSlashAndQuery) {
  for (const char* target : {"/250", "/250/", "/250?x=1", "/250/?cache=no", "/0250"}) {
    const Route route = expect_route("GET", target);
    EXPECT_EQ(route.kind, RouteKind::kDelay) << target;
    EXPECT_EQ(route.number, 250u) << target;
  }
  EXPECT_EQ(expect_route("GET", "/0").number, 0u);
  EXPECT_EQ(expect_route("HEAD", "/60000").number, 60000u);
}

TEST(Router, AbsoluteFormTarget) {
  EXPECT_EQ(expect_route("GET", "http://example.test:8080/42").number, 42u);
  EXPECT_EQ(expect_error("GET", "http://example.test").status, 404);  // path "/"
  EXPECT_EQ(expect_error("GET", "*").status, 400);
}

TEST(Router, BadDelaysAre400) {
  for (const char* target :
       {"/60001", "/-1", "/+5", "/1.5", "/12abc", "/99999999999999999999999", "/1e3"}) {
    const HttpError error = expect_error("GET", target);
    EXPECT_EQ(error.status, 400) << target;
    EXPECT_FALSE(error.message.empty());
  }
  EXPECT_NE(expect_error("GET", "/60001").message.find("60000"), std::string::npos);
}

TEST(Router, UnknownPathsAre404) {
  for (const char* target : {"/", "/abc", "/1/2", "/healthz/x", "/favicon.ico", "/prime"}) {
    EXPECT_EQ(expect_error("GET", target).status, 404) << target;
  }
}

TEST(Router, WrongMethodIs405WithAllow) {
  const HttpError error = expect_error("POST", "/100");
  EXPECT_EQ(error.status, 405);
  EXPECT_EQ(error.allow, "GET, HEAD");
  EXPECT_EQ(expect_error("DELETE", "/healthz").status, 405);
  EXPECT_EQ(expect_error("POST", "/nope").status, 404);  // unknown path wins over method
}

TEST(Router, OperationalEndpoints) {
  EXPECT_EQ(expect_route("GET", "/healthz").kind, RouteKind::kHealthz);
  EXPECT_EQ(expect_route("GET", "/readyz").kind, RouteKind::kReadyz);
  EXPECT_EQ(expect_route("GET", "/metrics").kind, RouteKind::kMetrics);
}

TEST(Router, Prime) {
  Route route = expect_route("GET", "/prime/7919");
  EXPECT_EQ(route.kind, RouteKind::kPrime);
  EXPECT_EQ(route.number, 7919u);
  EXPECT_EQ(route.prime_method, PrimeMethod::kTrial);
  route = expect_route("GET", "/prime/18446744073709551615/?method=mr");
  EXPECT_EQ(route.number, UINT64_MAX);
  EXPECT_EQ(route.prime_method, PrimeMethod::kMillerRabin);
  EXPECT_EQ(expect_route("GET", "/prime/9?x=1&method=trial").prime_method, PrimeMethod::kTrial);
  EXPECT_EQ(expect_error("GET", "/prime/18446744073709551616").status, 400);
  EXPECT_EQ(expect_error("GET", "/prime/-3").status, 400);
  EXPECT_EQ(expect_error("GET", "/prime/").status, 400);
  EXPECT_EQ(expect_error("GET", "/prime/7?method=fermat").status, 400);
}

}  // namespace
}  // namespace loadlab::server
