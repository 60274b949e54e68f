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
  for (const char* target : {"/250", "/250/", "/250?jitter=0", "/250/?status=200", "/0250"}) {
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
  const HttpError error = expect_error("OPTIONS", "/100");
  EXPECT_EQ(error.status, 405);
  EXPECT_EQ(error.allow, "GET, HEAD, POST, PUT, PATCH, DELETE");
  EXPECT_EQ(expect_error("DELETE", "/healthz").status, 405);
  EXPECT_EQ(expect_error("DELETE", "/healthz").allow, "GET, HEAD");
  EXPECT_EQ(expect_error("POST", "/status/200").status, 405);
  EXPECT_EQ(expect_error("CONNECT", "/anything").status, 405);
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
  EXPECT_EQ(expect_route("GET", "/prime/9?method=trial").prime_method, PrimeMethod::kTrial);
  EXPECT_NE(expect_error("GET", "/prime/9?x=1&method=trial").message.find("'x'"),
            std::string::npos);
  EXPECT_EQ(expect_error("GET", "/prime/18446744073709551616").status, 400);
  EXPECT_EQ(expect_error("GET", "/prime/-3").status, 400);
  EXPECT_EQ(expect_error("GET", "/prime/").status, 400);
  EXPECT_EQ(expect_error("GET", "/prime/7?method=fermat").status, 400);
}

TEST(Router, DelayAnswersMethodsWithABody) {
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}) {
    EXPECT_EQ(expect_route(method, "/5").kind, RouteKind::kDelay) << method;
  }
}

TEST(Router, DelayQuery) {
  const Route route = expect_route("GET", "/100?jitter=30&status=503&seed=18446744073709551615");
  EXPECT_EQ(route.number, 100u);
  EXPECT_EQ(route.jitter_ms, 30u);
  EXPECT_EQ(route.status, 503);
  EXPECT_EQ(route.seed, UINT64_MAX);
  EXPECT_FALSE(expect_route("GET", "/100?jitter=30").seed.has_value());
  EXPECT_EQ(expect_route("GET", "/59000?jitter=1000").jitter_ms, 1000u);  // N + J = the maximum
}

TEST(Router, BadDelayQueryNamesTheParameterAndItsBounds) {
  const struct {
    const char* target;
    const char* names;
  } cases[] = {
      {"/100?x=1", "'x'"},
      {"/100?jitter=-1", "jitter"},
      {"/100?jitter=abc", "jitter"},
      {"/100?jitter=60001", "jitter"},
      {"/59000?jitter=1001", "60000"},  // N + J over --max-delay-ms
      {"/100?status=199", "200 to 599"},
      {"/100?status=600", "200 to 599"},
      {"/100?status=2OO", "status"},
      {"/100?seed=18446744073709551616", "seed"},
      {"/100?seed=1&seed=2", "twice"},
      {"/100?jitter=%zz", "percent-escape"},
  };
  for (const auto& c : cases) {
    const HttpError error = expect_error("GET", c.target);
    EXPECT_EQ(error.status, 400) << c.target;
    EXPECT_NE(error.message.find(c.names), std::string::npos) << c.target << ": " << error.message;
  }
  EXPECT_NE(expect_error("GET", "/59000?jitter=1001").message.find("1000"), std::string::npos);
}

TEST(Router, Status) {
  Route route = expect_route("GET", "/status/503");
  EXPECT_EQ(route.kind, RouteKind::kStatus);
  ASSERT_EQ(route.choice_count, 1);
  EXPECT_EQ(route.choices[0].status, 503);
  EXPECT_EQ(route.choices[0].weight, 1u);
  route = expect_route("HEAD", "/status/200:3,503:0,429/?retry_after=5&seed=9");
  ASSERT_EQ(route.choice_count, 3);
  EXPECT_EQ(route.choices[1].status, 503);
  EXPECT_EQ(route.choices[1].weight, 0u);
  EXPECT_EQ(route.choices[2].weight, 1u);
  EXPECT_EQ(route.retry_after_s, 5u);
  EXPECT_EQ(route.seed, 9u);
}

TEST(Router, BadStatusIs400NamingWhatIsWrong) {
  const struct {
    const char* target;
    const char* names;
  } cases[] = {
      {"/status/", "status code"},
      {"/status/abc", "status code"},
      {"/status/199", "200 to 599"},
      {"/status/600", "200 to 599"},
      {"/status/200,", "status code"},
      {"/status/200:x", "weight"},
      {"/status/200:1000001", "weight must be a whole number from 0 to 1000000"},
      {"/status/200:0,500:0", "above 0"},
      {"/status/200?retry_after=86401", "retry_after must be a whole number from 0 to 86400"},
      {"/status/200?delay=1", "'delay'"},
      {"/status/200?seed=x", "seed"},
  };
  for (const auto& c : cases) {
    const HttpError error = expect_error("GET", c.target);
    EXPECT_EQ(error.status, 400) << c.target;
    EXPECT_NE(error.message.find(c.names), std::string::npos) << c.target << ": " << error.message;
  }
  std::string many = "/status/200";
  for (std::size_t i = 1; i < kMaxStatusChoices; ++i) many += ",200";
  EXPECT_EQ(expect_route("GET", many).choice_count, kMaxStatusChoices);
  EXPECT_NE(expect_error("GET", many + ",200").message.find("too many"), std::string::npos);
}

TEST(Router, AnythingTakesEveryMethodAndAnySubpath) {
  for (const char* method :
       {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"}) {
    EXPECT_EQ(expect_route(method, "/anything").kind, RouteKind::kAnything) << method;
  }
  for (const char* target : {"/anything/", "/anything/a/b?x=1&x=2&y", "http://h/anything?z"}) {
    EXPECT_EQ(expect_route("GET", target).kind, RouteKind::kAnything) << target;
  }
  EXPECT_EQ(expect_error("GET", "/anythingelse").status, 404);
  EXPECT_EQ(expect_error("GET", "/anything?a=%G0").status, 400);
}

TEST(Router, RoutesWithoutParametersRefuseAQuery) {
  for (const char* target : {"/healthz?x=1", "/readyz?verbose", "/metrics?name=a"}) {
    const HttpError error = expect_error("GET", target);
    EXPECT_EQ(error.status, 400) << target;
    EXPECT_NE(error.message.find("takes no query parameters"), std::string::npos) << error.message;
  }
  EXPECT_EQ(expect_route("GET", "/healthz?").kind, RouteKind::kHealthz);  // an empty query is none
}

TEST(Router, OnlyTheEchoWantsHeaders) {
  EXPECT_TRUE(route_wants_headers("/anything"));
  EXPECT_TRUE(route_wants_headers("/anything/x?y=1"));
  EXPECT_TRUE(route_wants_headers("http://h:1/anything"));
  for (const char* target : {"/100", "/status/200", "/healthz", "/nope", "*", "/anythingx"}) {
    EXPECT_FALSE(route_wants_headers(target)) << target;
  }
}

}  // namespace
}  // namespace loadlab::server
