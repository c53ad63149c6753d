#include "http/message.hpp"

#include <gtest/gtest.h>

#include <array>

#include "printers.hpp"

namespace barrage::http {
namespace {

TEST(message, compares_names_case_insensitively) {
  EXPECT_TRUE(iequals("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(iequals("Content-Length", "Content-Lengt"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_TRUE(iequals("", ""));
}

TEST(message, finds_the_first_field_by_name) {
  const std::array<header, 3> fields{{{"A", "1"}, {"b", "2"}, {"B", "3"}}};
  ASSERT_NE(find_header(fields, "B"), nullptr);
  EXPECT_EQ(find_header(fields, "B")->value, "2");
  EXPECT_EQ(find_header(fields, "C"), nullptr);
}

TEST(message, finds_tokens_in_comma_lists) {
  EXPECT_TRUE(list_has_token("close", "close"));
  EXPECT_TRUE(list_has_token("keep-alive, Close", "close"));
  EXPECT_TRUE(list_has_token(" ,\tclose\t,", "close"));
  EXPECT_FALSE(list_has_token("closed", "close"));
  EXPECT_FALSE(list_has_token("", "close"));
  EXPECT_FALSE(list_has_token("upgrade, x-close", "close"));
}

TEST(message, parses_http_versions) {
  http_version v{};
  EXPECT_EQ(parse_http_version("HTTP/1.1", v), parse_error::none);
  EXPECT_EQ(v, http_version::http_1_1);
  EXPECT_EQ(parse_http_version("HTTP/1.0", v), parse_error::none);
  EXPECT_EQ(v, http_version::http_1_0);
  EXPECT_EQ(parse_http_version("HTTP/2.0", v), parse_error::unsupported_version);
  EXPECT_EQ(parse_http_version("HTTP/1.9", v), parse_error::unsupported_version);
  EXPECT_EQ(parse_http_version("HTTP/1.1 ", v), parse_error::bad_version);
  EXPECT_EQ(parse_http_version("HTTP/11", v), parse_error::bad_version);
  EXPECT_EQ(parse_http_version("HTTPS/1.1", v), parse_error::bad_version);
  EXPECT_EQ(parse_http_version("", v), parse_error::bad_version);
}

}  // namespace
}  // namespace barrage::http
