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

TEST(source_addresses, no_note_while_each_address_stays_within_half_the_port_range) {
  const port_range r{32768, 60999};  // 28,232 ports
  EXPECT_FALSE(port_range_note(14'116, 0, r).has_value());
  EXPECT_FALSE(port_range_note(14'116, 1, r).has_value());
  EXPECT_FALSE(port_range_note(28'000, 2, r).has_value());
}

TEST(source_addresses, past_half_the_range_the_note_names_the_addresses_needed) {
  const port_range r{32768, 60999};
  auto note = port_range_note(15'000, 0, r);
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(note->find("15000 connections per source address exceed half the ephemeral port range 32768-60999"),
            std::string::npos)
      << *note;
  EXPECT_NE(note->find("--source 127.0.0.1-127.0.0.2"), std::string::npos) << *note;
  EXPECT_EQ(note->find('\n'), std::string::npos);
}

TEST(source_addresses, past_the_whole_range_the_note_says_connects_fail) {
  auto note = port_range_note(100'000, 2, port_range{32768, 60999});
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(note->find("EADDRNOTAVAIL"), std::string::npos) << *note;
  EXPECT_NE(note->find("spread them over 8 or more"), std::string::npos) << *note;
}

TEST(source_addresses, the_ephemeral_range_is_read_from_the_kernel_or_defaults_sanely) {
  port_range r = ephemeral_port_range();
  EXPECT_GT(r.size(), 0u);
  EXPECT_LE(r.last, 65535u);
}
