#include "http/authority.hpp"

#include <gtest/gtest.h>

namespace barrage::http::detail {
namespace {

TEST(authority, accepts_ipv6_text_forms) {
  for (std::string_view s : {"::", "::1", "1::", "1:2:3:4:5:6:7:8", "2001:db8::8a2e:370:7334",
                             "::ffff:192.0.2.1", "1:2:3:4:5:6:1.2.3.4", "fe80::", "A:b:C:d::"}) {
    EXPECT_TRUE(is_ipv6_address(s)) << s;
  }
}

TEST(authority, rejects_malformed_ipv6) {
  for (std::string_view s : {"", ":", ":::", "1:2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9",
                             "::g", "1:", ":1", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::1.2.3.256",
                             "1.2.3.4", "fe80::1%eth0", "::01.2.3.4"}) {
    EXPECT_FALSE(is_ipv6_address(s)) << s;
  }
}

TEST(authority, checks_dotted_quads) {
  EXPECT_TRUE(is_ipv4_address("0.0.0.0"));
  EXPECT_TRUE(is_ipv4_address("255.255.255.255"));
  EXPECT_FALSE(is_ipv4_address("256.1.1.1"));
  EXPECT_FALSE(is_ipv4_address("1.1.1"));
  EXPECT_FALSE(is_ipv4_address("1.1.1.1."));
  EXPECT_FALSE(is_ipv4_address("01.1.1.1"));
  EXPECT_FALSE(is_ipv4_address("1..1.1"));
}

TEST(authority, splits_host_and_port) {
  authority_parts p;
  ASSERT_EQ(split_authority("example.com:8080", p), authority_error::none);
  EXPECT_EQ(p.host, "example.com");
  EXPECT_TRUE(p.has_port);
  EXPECT_EQ(p.port, 8080);
  ASSERT_EQ(split_authority("[::1]", p), authority_error::none);
  EXPECT_EQ(p.host, "::1");
  EXPECT_TRUE(p.ipv6);
  EXPECT_FALSE(p.has_port);
  ASSERT_EQ(split_authority("a%2Db", p), authority_error::none);
}

TEST(authority, rejects_bad_authorities) {
  authority_parts p;
  EXPECT_EQ(split_authority("", p), authority_error::empty_host);
  EXPECT_EQ(split_authority(":80", p), authority_error::empty_host);
  EXPECT_EQ(split_authority("u@h", p), authority_error::bad_host);
  EXPECT_EQ(split_authority("h h", p), authority_error::bad_host);
  EXPECT_EQ(split_authority("h%2", p), authority_error::bad_host);
  EXPECT_EQ(split_authority("[::1", p), authority_error::bad_ipv6);
  EXPECT_EQ(split_authority("[v1.x]", p), authority_error::bad_ipv6);
  EXPECT_EQ(split_authority("[::1]:", p), authority_error::bad_port);
  EXPECT_EQ(split_authority("h:", p), authority_error::bad_port);
  EXPECT_EQ(split_authority("h:1:2", p), authority_error::bad_port);
  EXPECT_EQ(split_authority("h:0", p), authority_error::port_range);
  EXPECT_EQ(split_authority("h:70000", p), authority_error::port_range);
}

}  // namespace
}  // namespace barrage::http::detail
