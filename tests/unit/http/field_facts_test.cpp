#include "http/field_facts.hpp"

#include <gtest/gtest.h>

#include <array>

#include "http/field_lines.hpp"
#include "printers.hpp"

namespace barrage::http::detail {
namespace {

TEST(field_facts, parses_content_length_digits_only) {
  std::uint64_t n = 0;
  EXPECT_EQ(parse_content_length("0", true, n), parse_error::none);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(parse_content_length("1234567", true, n), parse_error::none);
  EXPECT_EQ(n, 1234567u);
  EXPECT_EQ(parse_content_length("007", false, n), parse_error::none) << "leading zeros: lenient mode";
  EXPECT_EQ(n, 7u);
  EXPECT_EQ(parse_content_length("007", true, n), parse_error::bad_content_length);
  EXPECT_EQ(parse_content_length("", false, n), parse_error::bad_content_length);
  EXPECT_EQ(parse_content_length("1e3", false, n), parse_error::bad_content_length);
  EXPECT_EQ(parse_content_length("4, 4", false, n), parse_error::duplicate_content_length);
  EXPECT_EQ(parse_content_length("4,x", false, n), parse_error::bad_content_length);
  EXPECT_EQ(parse_content_length("18446744073709551615", false, n), parse_error::none);
  EXPECT_EQ(n, 18446744073709551615ull);
  EXPECT_EQ(parse_content_length("18446744073709551616", false, n), parse_error::content_length_overflow);
}

// Facts need views produced by parse_field_lines (spacing is read around them).
field_facts facts_of(std::string_view lines, bool strict) {
  static std::array<header, 16> fields;
  const auto r = parse_field_lines(lines.data(), lines.data() + lines.size(), fields);
  EXPECT_EQ(r.error, parse_error::none);
  return collect_field_facts(std::span<const header>(fields.data(), r.count), strict);
}

TEST(field_facts, collects_framing_persistence_and_host) {
  const field_facts f = facts_of("Host: h\r\nConnection: Keep-Alive\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", true);
  EXPECT_EQ(f.error, parse_error::none);
  EXPECT_EQ(f.host_count, 1u);
  EXPECT_EQ(f.host, "h");
  EXPECT_TRUE(f.connection_keep_alive);
  EXPECT_FALSE(f.connection_close);
  EXPECT_TRUE(f.has_transfer_encoding && f.chunked_seen && f.chunked_final && f.other_coding);
  EXPECT_FALSE(f.has_content_length);
}

TEST(field_facts, reads_spacing_strictly_only_when_asked) {
  EXPECT_EQ(facts_of("Content-Length:  5\r\n", true).error, parse_error::bad_content_length);
  EXPECT_EQ(facts_of("Content-Length:  5\r\n", false).content_length, 5u);
  EXPECT_EQ(facts_of("Transfer-Encoding: chunked\t\r\n", true).error, parse_error::bad_transfer_encoding);
  EXPECT_TRUE(facts_of("Transfer-Encoding: chunked\t\r\n", false).chunked_final);
}

TEST(field_facts, persists_per_version) {
  field_facts f;
  EXPECT_TRUE(wants_keep_alive(http_version::http_1_1, f));
  EXPECT_FALSE(wants_keep_alive(http_version::http_1_0, f));
  f.connection_keep_alive = true;
  EXPECT_TRUE(wants_keep_alive(http_version::http_1_0, f));
  f.connection_close = true;
  EXPECT_FALSE(wants_keep_alive(http_version::http_1_0, f));
  EXPECT_FALSE(wants_keep_alive(http_version::http_1_1, f));
}

}  // namespace
}  // namespace barrage::http::detail
