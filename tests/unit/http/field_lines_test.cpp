#include "http/field_lines.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "printers.hpp"

namespace barrage::http::detail {
namespace {

field_lines_result parse(std::string_view lines, std::span<header> out) {
  return parse_field_lines(lines.data(), lines.data() + lines.size(), out);
}

TEST(field_lines, splits_names_and_trimmed_values) {
  std::array<header, 4> out{};
  const auto r = parse("A: 1\r\nBb:\t two  words \t\r\nC:\r\n", out);
  ASSERT_EQ(r.error, parse_error::none);
  ASSERT_EQ(r.count, 3u);
  EXPECT_EQ(out[0].name, "A");
  EXPECT_EQ(out[0].value, "1");
  EXPECT_EQ(out[1].name, "Bb");
  EXPECT_EQ(out[1].value, "two  words");
  EXPECT_EQ(out[2].value, "");
}

TEST(field_lines, accepts_an_empty_section) {
  std::array<header, 1> out{};
  EXPECT_EQ(parse("", out).count, 0u);
}

TEST(field_lines, classifies_each_bad_byte) {
  std::array<header, 4> out{};
  EXPECT_EQ(parse(" A: 1\r\n", out).error, parse_error::space_after_start_line);
  EXPECT_EQ(parse("A: 1\r\n\tB\r\n", out).error, parse_error::obs_fold);
  EXPECT_EQ(parse("A : 1\r\n", out).error, parse_error::space_before_colon);
  EXPECT_EQ(parse("A\r\n", out).error, parse_error::missing_colon);
  EXPECT_EQ(parse(": 1\r\n", out).error, parse_error::bad_header_name);
  EXPECT_EQ(parse("A@: 1\r\n", out).error, parse_error::bad_header_name);
  EXPECT_EQ(parse(std::string("A\0: 1\r\n", 7), out).error, parse_error::nul_byte);
  EXPECT_EQ(parse(std::string("A: \0\r\n", 6), out).error, parse_error::nul_byte);
  EXPECT_EQ(parse("A: 1\r2\r\n", out).error, parse_error::bare_cr);
  EXPECT_EQ(parse("A: \x1f\r\n", out).error, parse_error::bad_header_value);
}

TEST(field_lines, stops_at_the_callers_capacity) {
  std::array<header, 2> out{};
  const auto r = parse("A: 1\r\nB: 2\r\nC: 3\r\n", out);
  EXPECT_EQ(r.error, parse_error::too_many_headers);
  EXPECT_EQ(r.count, 2u);
}

}  // namespace
}  // namespace barrage::http::detail
