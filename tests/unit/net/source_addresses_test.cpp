#include "net/source_addresses.hpp"

#include <gtest/gtest.h>

using namespace barrage::net;

namespace {

std::vector<std::string> ips(const std::vector<socket_address>& v) {
  std::vector<std::string> out;
  for (const auto& a : v) out.push_back(a.ip());
  return out;
}

std::string error_of(std::string_view text) {
  auto r = parse_source_addresses(text);
  return r ? std::string("(parsed)") : r.error();
}

}  // namespace

TEST(source_addresses, a_comma_list_keeps_its_order_and_has_port_zero) {
  auto r = parse_source_addresses("127.0.0.3, 127.0.0.2,127.0.0.9");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(ips(*r), (std::vector<std::string>{"127.0.0.3", "127.0.0.2", "127.0.0.9"}));
  for (const auto& a : *r) EXPECT_EQ(a.port(), 0);
}

TEST(source_addresses, a_range_includes_both_ends_and_crosses_octets) {
  auto r = parse_source_addresses("127.0.0.254-127.0.1.1");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(ips(*r), (std::vector<std::string>{"127.0.0.254", "127.0.0.255", "127.0.1.0", "127.0.1.1"}));
}

TEST(source_addresses, ranges_and_single_addresses_mix) {
  auto r = parse_source_addresses("127.0.0.2-127.0.0.3,127.0.0.7");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(ips(*r), (std::vector<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.7"}));
}

TEST(source_addresses, a_range_of_one_address_is_that_address) {
  auto r = parse_source_addresses("127.0.0.5-127.0.0.5");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(ips(*r), (std::vector<std::string>{"127.0.0.5"}));
}

TEST(source_addresses, ipv6_addresses_are_listed_one_by_one) {
  auto r = parse_source_addresses("::1");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(ips(*r), (std::vector<std::string>{"::1"}));
}

TEST(source_addresses, bad_input_is_one_line_naming_the_item) {
  EXPECT_NE(error_of("").find("no source address"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.2,,127.0.0.3").find("empty item"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.2,").find("empty item"), std::string::npos);
  EXPECT_NE(error_of("localhost").find("\"localhost\""), std::string::npos);
  EXPECT_NE(error_of("127.0.0.2:80").find("\"127.0.0.2:80\""), std::string::npos);
  EXPECT_NE(error_of("127.0.0.9-127.0.0.2").find("first address is above the last"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.2-x").find("FIRST-LAST"), std::string::npos);
  EXPECT_NE(error_of("::1-::2").find("IPv4 only"), std::string::npos);
  EXPECT_NE(error_of("127.0.0.2,::1").find("mix IPv4 and IPv6"), std::string::npos);
  for (const char* bad : {"", "127.0.0.2,,127.0.0.3", "localhost", "127.0.0.9-127.0.0.2"})
    EXPECT_EQ(error_of(bad).find('\n'), std::string::npos) << bad;
}

TEST(source_addresses, a_range_too_large_is_refused_before_allocating_it) {
  EXPECT_NE(error_of("127.0.0.0-127.255.255.255").find("too large"), std::string::npos);
  auto r = parse_source_addresses("127.0.0.0-127.0.255.255");  // exactly the cap
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->size(), max_source_addresses);
}
