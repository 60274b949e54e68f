#include "loadgen/url_template.h"

#include <gtest/gtest.h>

#include "loadgen/target.h"

namespace loadlab::loadgen {
namespace {

std::string render(const UrlTemplate& t, std::mt19937_64& random, std::uint64_t seq) {
  std::string out;
  t.render(out, random, seq);
  return out;
}

TEST(UrlTemplate, FixedPathRendersAsIs) {
  UrlTemplate t("/100?x=1");
  std::mt19937_64 random(1);
  EXPECT_TRUE(t.is_fixed());
  EXPECT_EQ(render(t, random, 5), "/100?x=1");
}

TEST(UrlTemplate, RandomValuesStayInRangeAndCoverIt) {
  UrlTemplate t("/{rand:1:1000}/");
  std::mt19937_64 random(7);
  std::uint64_t low = UINT64_MAX, high = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string path = render(t, random, 0);
    ASSERT_TRUE(path.starts_with("/") && path.ends_with("/"));
    const auto value = std::stoull(path.substr(1, path.size() - 2));
    low = std::min<std::uint64_t>(low, value);
    high = std::max<std::uint64_t>(high, value);
  }
  EXPECT_EQ(low, 1u);
  EXPECT_EQ(high, 1000u);
}

TEST(UrlTemplate, SameSeedSameSequence) {
  UrlTemplate t("/{rand:0:100000}/{seq}");
  std::mt19937_64 a(42), b(42), c(43);
  std::string from_a, from_b, from_c;
  for (std::uint64_t i = 0; i < 100; ++i) {
    from_a += render(t, a, i);
    from_b += render(t, b, i);
    from_c += render(t, c, i);
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
  std::mt19937_64 d(1);
  EXPECT_TRUE(render(t, d, 77).ends_with("/77"));
}

TEST(UrlTemplate, RejectsBadPlaceholders) {
  for (const char* bad :
       {"/{rand:5:1}", "/{rand:1}", "/{rand:a:b}", "/{nope}", "/{seq", "/{rand:-1:5}"}) {
    EXPECT_THROW(UrlTemplate{bad}, std::invalid_argument) << bad;
  }
}

TEST(Target, ParsesHostPortAndPath) {
  Target t = parse_target("http://127.0.0.1:8080/{rand:1:10}/?q=1");
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 8080);
  EXPECT_EQ(t.path_template, "/{rand:1:10}/?q=1");
  EXPECT_EQ(t.host_header, "127.0.0.1:8080");
  t = parse_target("http://localhost");
  EXPECT_EQ(t.port, 80);
  EXPECT_EQ(t.path_template, "/");
  t = parse_target("http://[::1]:9000/x");
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.port, 9000);
}

TEST(Target, HttpsDefaultsToPort443AndAsksForTls) {
  const Target t = parse_target("https://127.0.0.1/a");
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.port, 443);
  EXPECT_EQ(t.path_template, "/a");
  const Target plain = parse_target("http://127.0.0.1:8443/");
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(parse_target("https://[::1]:8443/").port, 8443);
}

TEST(Target, RejectsWhatItCannotUse) {
  for (const char* bad : {"https:///x", "ftp://x/", "127.0.0.1:80/", "http:///x",
                          "http://127.0.0.1:0/", "http://127.0.0.1:70000/", "http://[::1/"}) {
    EXPECT_THROW(parse_target(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace loadlab::loadgen
