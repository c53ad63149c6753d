#include "net/resolve_override.hpp"

#include <gtest/gtest.h>

using namespace barrage::net;

namespace {

struct good_case {
  const char* name;
  const char* text;
  const char* host;
  std::uint16_t port;
  std::vector<std::string> addresses;  // socket_address::to_string
};
const good_case good_cases[] = {
    {"name_and_ipv4", "example.com:443:127.0.0.1", "example.com", 443, {"127.0.0.1:443"}},
    {"ipv6_address_in_brackets", "example.com:8443:[::1]", "example.com", 8443, {"[::1]:8443"}},
    {"ipv6_address_bare", "example.com:80:::1", "example.com", 80, {"[::1]:80"}},
    {"several_addresses", "api.example:80:127.0.0.2,[::1],127.0.0.3", "api.example", 80,
     {"127.0.0.2:80", "[::1]:80", "127.0.0.3:80"}},
    {"ipv6_host_kept_without_brackets", "[2001:db8::1]:443:127.0.0.1", "2001:db8::1", 443, {"127.0.0.1:443"}},
    {"underscore_and_dash_in_names", "my_svc-1.internal:65535:10.0.0.1", "my_svc-1.internal", 65535, {"10.0.0.1:65535"}},
};

struct bad_case {
  const char* name;
  const char* text;
  const char* why;  // what the one-line message says after the quoted entry
};
const bad_case bad_cases[] = {
    {"empty", "", "the host is empty"},
    {"no_port", "example.com", "expected HOST:PORT:ADDR"},
    {"no_address_part", "example.com:443", "expected HOST:PORT:ADDR"},
    {"empty_address", "example.com:443:", "no address after HOST:PORT:"},
    {"port_zero", "example.com:0:127.0.0.1", "port \"0\" is not a number from 1 to 65535"},
    {"port_too_large", "example.com:65536:127.0.0.1", "port \"65536\" is not a number from 1 to 65535"},
    {"port_not_a_number", "example.com:https:127.0.0.1", "port \"https\" is not a number from 1 to 65535"},
    {"address_a_name", "example.com:443:localhost", "address \"localhost\" is not a numeric IP address"},
    {"address_incomplete", "example.com:443:127.0.0", "address \"127.0.0\" is not a numeric IP address"},
    {"trailing_comma", "example.com:443:127.0.0.1,", "address \"\" is not a numeric IP address"},
    {"space_in_host", "exa mple.com:443:127.0.0.1", "host \"exa mple.com\" is not a host name"},
    {"unclosed_ipv6_host", "[::1:443:127.0.0.1", "an IPv6 host has no closing bracket"},
    {"bracketed_host_not_ipv6", "[example]:443:127.0.0.1", "host [example] is not an IPv6 address"},
    {"empty_host", ":443:127.0.0.1", "the host is empty"},
};

}  // namespace

class good_resolve : public ::testing::TestWithParam<good_case> {};
TEST_P(good_resolve, parses_to_the_host_port_and_addresses) {
  const auto& c = GetParam();
  auto r = parse_resolve_override(c.text);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->host, c.host);
  EXPECT_EQ(r->port, c.port);
  std::vector<std::string> got;
  for (const auto& a : r->addresses) got.push_back(a.to_string());
  EXPECT_EQ(got, c.addresses);
}
INSTANTIATE_TEST_SUITE_P(resolve_override, good_resolve, ::testing::ValuesIn(good_cases),
                         [](const auto& info) { return std::string(info.param.name); });

class bad_resolve : public ::testing::TestWithParam<bad_case> {};
TEST_P(bad_resolve, is_refused_in_one_line_quoting_the_entry_and_saying_why) {
  const auto& c = GetParam();
  auto r = parse_resolve_override(c.text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "bad entry \"" + std::string(c.text) + "\": " + c.why + " (e.g. example.com:443:127.0.0.1)");
}
INSTANTIATE_TEST_SUITE_P(resolve_override, bad_resolve, ::testing::ValuesIn(bad_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(resolve_override, lookup_matches_the_name_case_insensitively_and_the_port_exactly) {
  std::vector<resolve_override> entries{*parse_resolve_override("Example.COM:443:127.0.0.2"),
                                        *parse_resolve_override("example.com:443:127.0.0.3"),
                                        *parse_resolve_override("[::1]:80:127.0.0.4")};
  const resolve_override* e = find_override(entries, "example.com", 443);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->addresses.front().to_string(), "127.0.0.2:443");  // the first given, as curl
  EXPECT_EQ(find_override(entries, "example.com", 80), nullptr);
  EXPECT_EQ(find_override(entries, "www.example.com", 443), nullptr);
  ASSERT_NE(find_override(entries, "::1", 80), nullptr);  // http::url holds IPv6 hosts without brackets
}
