#include "http/url.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace barrage::http {
namespace {

struct good_url {
  const char* name;
  std::string_view text;
  url_scheme scheme;
  std::string_view host;
  std::uint16_t port;
  std::string_view target;
  std::string_view host_header;
};

// clang-format off
const std::vector<good_url> good = {
  {"plain_http", "http://example.com", url_scheme::http, "example.com", 80, "/", "example.com"},
  {"plain_https", "https://example.com/", url_scheme::https, "example.com", 443, "/", "example.com"},
  {"uppercase_scheme_and_host", "HTTP://Example.COM/A", url_scheme::http, "example.com", 80, "/A", "example.com"},
  {"explicit_port", "http://h:8080/x", url_scheme::http, "h", 8080, "/x", "h:8080"},
  {"explicit_default_port", "http://h:80/x", url_scheme::http, "h", 80, "/x", "h"},
  {"https_on_port_80", "https://h:80/", url_scheme::https, "h", 80, "/", "h:80"},
  {"highest_port", "http://h:65535", url_scheme::http, "h", 65535, "/", "h:65535"},
  {"ipv4", "http://127.0.0.1:9000/p", url_scheme::http, "127.0.0.1", 9000, "/p", "127.0.0.1:9000"},
  {"ipv6_loopback", "http://[::1]:8080/", url_scheme::http, "::1", 8080, "/", "[::1]:8080"},
  {"ipv6_default_port", "https://[2001:db8::a]/", url_scheme::https, "2001:db8::a", 443, "/", "[2001:db8::a]"},
  {"ipv6_with_ipv4_tail", "http://[::ffff:10.0.0.1]/", url_scheme::http, "::ffff:10.0.0.1", 80, "/", "[::ffff:10.0.0.1]"},
  {"query_without_path", "http://h?a=1", url_scheme::http, "h", 80, "/?a=1", "h"},
  {"path_and_query", "http://h/a/b?x=1&y=%20", url_scheme::http, "h", 80, "/a/b?x=1&y=%20", "h"},
  {"fragment_dropped", "http://h/a#frag", url_scheme::http, "h", 80, "/a", "h"},
  {"empty_query_dropped", "http://h/a?", url_scheme::http, "h", 80, "/a", "h"},
  {"underscore_in_host", "http://my_host.local/", url_scheme::http, "my_host.local", 80, "/", "my_host.local"},
};

struct bad_url {
  const char* name;
  std::string_view text;
  url_error want;
};

const std::vector<bad_url> bad = {
  {"empty", "", url_error::empty},
  {"no_scheme", "example.com/path", url_error::missing_scheme},
  {"host_and_port_only", "localhost:8080", url_error::missing_scheme},
  {"one_slash", "http:/example.com", url_error::missing_scheme},
  {"no_scheme_name", "://h", url_error::missing_scheme},
  {"ftp", "ftp://h/", url_error::unsupported_scheme},
  {"ws", "ws://h/", url_error::unsupported_scheme},
  {"userinfo", "http://user:pw@h/", url_error::userinfo},
  {"empty_host", "http:///path", url_error::empty_host},
  {"only_port", "http://:80/", url_error::empty_host},
  {"bad_host_char", "http://h!x/", url_error::bad_host},
  {"percent_in_host", "http://h%41/", url_error::bad_host},
  {"unclosed_ipv6", "http://[::1/", url_error::bad_ipv6},
  {"bad_ipv6_group", "http://[::12345]/", url_error::bad_ipv6},
  {"two_compressions", "http://[1::2::3]/", url_error::bad_ipv6},
  {"too_many_groups", "http://[1:2:3:4:5:6:7:8:9]/", url_error::bad_ipv6},
  {"unbracketed_ipv6", "http://::1/", url_error::empty_host},
  {"zone_id", "http://[fe80::1%25eth0]/", url_error::bad_ipv6},
  {"junk_after_ipv6", "http://[::1]x/", url_error::bad_host},
  {"empty_port", "http://h:/", url_error::bad_port},
  {"alpha_port", "http://h:8o/", url_error::bad_port},
  {"signed_port", "http://h:+80/", url_error::bad_port},
  {"six_digit_port", "http://h:100000/", url_error::bad_port},
  {"port_zero", "http://h:0/", url_error::port_out_of_range},
  {"port_too_large", "http://h:65536/", url_error::port_out_of_range},
  {"space", "http://h/a b", url_error::bad_character},
  {"trailing_newline", "http://h/\n", url_error::bad_character},
  {"leading_space", " http://h/", url_error::bad_character},
  {"tab", "http://h/\t", url_error::bad_character},
  {"del", "http://h/\x7f", url_error::bad_character},
  {"utf8", "http://h/caf\xc3\xa9", url_error::bad_character},
  {"truncated_escape", "http://h/%4", url_error::bad_percent_encoding},
  {"non_hex_escape", "http://h/%zz", url_error::bad_percent_encoding},
  {"brace_in_query", "http://h/?q={}", url_error::bad_path},
  {"backslash_in_path", "http://h/a\\b", url_error::bad_path},
};
// clang-format on

TEST(url, parses_scheme_host_port_and_target) {
  for (const good_url& c : good) {
    SCOPED_TRACE(c.name);
    const auto u = parse_url(c.text);
    ASSERT_TRUE(u) << to_string(u.error());
    EXPECT_EQ(u->scheme, c.scheme);
    EXPECT_EQ(u->host, c.host);
    EXPECT_EQ(u->port, c.port);
    EXPECT_EQ(u->target(), c.target);
    EXPECT_EQ(u->host_header(), c.host_header);
  }
}

TEST(url, rejects_malformed_urls_with_the_right_error) {
  for (const bad_url& c : bad) {
    const auto u = parse_url(c.text);
    ASSERT_FALSE(u) << c.name;
    EXPECT_EQ(u.error(), c.want) << c.name << ": " << to_string(u.error());
  }
}

TEST(url, marks_ipv6_literals) {
  EXPECT_TRUE(parse_url("http://[::1]/")->ipv6);
  EXPECT_FALSE(parse_url("http://127.0.0.1/")->ipv6);
}

TEST(url, has_a_distinct_readable_message_for_every_error) {
  std::vector<std::string> seen;
  for (int e = 0; e <= static_cast<int>(url_error::bad_path); ++e) {
    const std::string msg = to_string(static_cast<url_error>(e));
    EXPECT_GT(msg.size(), 10u);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), msg), 0) << msg;
    seen.push_back(msg);
  }
}

}  // namespace
}  // namespace barrage::http
