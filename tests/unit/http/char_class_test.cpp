#include "http/char_class.hpp"

#include <gtest/gtest.h>

namespace barrage::http::detail {
namespace {

TEST(char_class, knows_tchar) {
  for (char c : std::string_view("!#$%&'*+-.^_`|~09azAZ")) EXPECT_TRUE(is_token_char(c)) << c;
  for (char c : std::string_view("\"(),/:;<=>?@[\\]{} \t\r\n\x7f")) EXPECT_FALSE(is_token_char(c)) << int(c);
  EXPECT_FALSE(is_token_char('\0'));
  EXPECT_FALSE(is_token_char('\x80'));
}

TEST(char_class, knows_field_value_bytes) {
  EXPECT_TRUE(is_field_char('\t'));
  EXPECT_TRUE(is_field_char(' '));
  EXPECT_TRUE(is_field_char('~'));
  EXPECT_TRUE(is_field_char('\x80'));
  EXPECT_TRUE(is_field_char('\xff'));
  for (int c = 0; c < 0x20; ++c) {
    EXPECT_EQ(is_field_char(static_cast<char>(c)), c == '\t') << c;
  }
  EXPECT_FALSE(is_field_char('\x7f'));
}

TEST(char_class, knows_target_and_host_bytes) {
  for (char c : std::string_view("az09-._~!$&'()*+,;=:@/?")) EXPECT_TRUE(is_target_char(c)) << c;
  for (char c : std::string_view("#[]\\\"<>^`{|} %")) EXPECT_FALSE(is_target_char(c)) << c;
  EXPECT_TRUE(is_reg_name_char('-'));
  EXPECT_FALSE(is_reg_name_char(':'));
  EXPECT_FALSE(is_reg_name_char('@'));
  EXPECT_FALSE(is_reg_name_char('/'));
}

TEST(char_class, reads_hex_digits) {
  EXPECT_EQ(hex_value('0'), 0);
  EXPECT_EQ(hex_value('f'), 15);
  EXPECT_EQ(hex_value('F'), 15);
  EXPECT_EQ(hex_value('g'), -1);
  EXPECT_EQ(hex_value('x'), -1);
}

}  // namespace
}  // namespace barrage::http::detail
