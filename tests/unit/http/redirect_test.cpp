#include "http/redirect.hpp"

#include <gtest/gtest.h>

using namespace barrage::http;

namespace {

struct location_case {
  const char* name;
  const char* base;
  const char* location;
  const char* expected;  // scheme://host:port/target, or nullptr when the location is invalid
};

std::string spelled(const url& u) {
  return std::string(u.scheme == url_scheme::https ? "https" : "http") + "://" + u.host + ":" +
         std::to_string(u.port) + u.target();
}

const location_case location_cases[] = {
    {"an absolute URL to another port", "http://127.0.0.1:8080/a", "http://127.0.0.1:9090/b",
     "http://127.0.0.1:9090/b"},
    {"an absolute URL to another host", "http://127.0.0.1:8080/a", "http://localhost:81/x?y=1",
     "http://localhost:81/x?y=1"},
    {"an https URL stays https", "http://h/", "https://h/s", "https://h:443/s"},
    {"an absolute path", "http://127.0.0.1:8080/a/b?q", "/c", "http://127.0.0.1:8080/c"},
    {"an absolute path with a query", "http://h:1/a", "/c?x=1&y", "http://h:1/c?x=1&y"},
    {"a relative path replaces the last segment", "http://h/a/b", "c", "http://h:80/a/c"},
    {"a relative path under a directory", "http://h/a/b/", "c/d", "http://h:80/a/b/c/d"},
    {"dot segments are removed", "http://h/a/b/c", "../d/./e", "http://h:80/a/d/e"},
    {"dot-dot above the root stays at the root", "http://h/a", "../../x", "http://h:80/x"},
    {"a trailing dot-dot leaves a directory", "http://h/a/b/c", "..", "http://h:80/a/"},
    {"a query only keeps the path", "http://h/a/b?old", "?new", "http://h:80/a/b?new"},
    {"a network-path reference keeps the scheme", "http://h:8080/a", "//other:9/z", "http://other:9/z"},
    {"the fragment is dropped", "http://h/", "/p#frag", "http://h:80/p"},
    {"surrounding blanks are ignored", "http://h/", "  /p ", "http://h:80/p"},
    {"an IPv6 base keeps its brackets", "http://[::1]:8080/a", "/b", "http://::1:8080/b"},
    {"an empty location is invalid", "http://h/", "", nullptr},
    {"an ftp URL is invalid", "http://h/", "ftp://h/x", nullptr},
    {"a space inside is invalid", "http://h/", "/a b", nullptr},
};

}  // namespace

TEST(redirect, locations_resolve_against_the_requested_url) {
  for (const auto& c : location_cases) {
    auto base = parse_url(c.base);
    ASSERT_TRUE(base.ok()) << c.name;
    auto r = resolve_location(*base, c.location);
    if (!c.expected) {
      EXPECT_FALSE(r.ok()) << c.name;
      continue;
    }
    ASSERT_TRUE(r.ok()) << c.name << ": " << to_string(r.error());
    EXPECT_EQ(spelled(*r), c.expected) << c.name;
  }
}

TEST(redirect, only_the_five_redirect_statuses_are_followed) {
  for (unsigned s : {301u, 302u, 303u, 307u, 308u}) EXPECT_TRUE(is_followed_redirect(s)) << s;
  for (unsigned s : {200u, 300u, 304u, 305u, 306u, 309u, 399u, 404u}) EXPECT_FALSE(is_followed_redirect(s)) << s;
}

TEST(redirect, only_307_and_308_keep_the_method_and_body) {
  EXPECT_TRUE(redirect_keeps_method(307));
  EXPECT_TRUE(redirect_keeps_method(308));
  for (unsigned s : {301u, 302u, 303u}) EXPECT_FALSE(redirect_keeps_method(s)) << s;
}

TEST(redirect, the_same_origin_means_same_scheme_host_and_port) {
  auto a = *parse_url("http://Host:8080/a");
  EXPECT_TRUE(same_origin(a, *parse_url("http://host:8080/b")));
  EXPECT_FALSE(same_origin(a, *parse_url("http://host:8081/a")));
  EXPECT_FALSE(same_origin(a, *parse_url("http://other:8080/a")));
  EXPECT_FALSE(same_origin(a, *parse_url("https://host:8080/a")));
}
