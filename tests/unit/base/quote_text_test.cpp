#include "base/quote_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace barrage {
namespace {

TEST(quote_text, printable_text_is_shown_between_quotes_as_typed) {
  EXPECT_EQ(quote_text("p99<250ms"), "\"p99<250ms\"");
  EXPECT_EQ(quote_text(""), "\"\"");
  EXPECT_EQ(quote_text("1.5 MiB"), "\"1.5 MiB\"");
}

TEST(quote_text, control_bytes_del_quotes_and_backslashes_become_hex_escapes) {
  EXPECT_EQ(quote_text("a\nb"), "\"a\\x0ab\"");
  EXPECT_EQ(quote_text(std::string_view("\0\r\t", 3)), "\"\\x00\\x0d\\x09\"");
  EXPECT_EQ(quote_text("\x7f"), "\"\\x7f\"");
  EXPECT_EQ(quote_text("say \"hi\" \\ bye"), "\"say \\x22hi\\x22 \\x5c bye\"");
}

TEST(quote_text, bytes_above_ascii_pass_through_so_utf8_stays_readable) {
  EXPECT_EQ(quote_text("500\xc2\xb5s"), "\"500\xc2\xb5s\"");
}

TEST(quote_text, shows_at_most_forty_bytes_and_marks_the_cut) {
  const std::string forty(40, 'x');
  EXPECT_EQ(quote_text(forty), "\"" + forty + "\"");
  EXPECT_EQ(quote_text(forty + "y"), "\"" + forty + "...\"");
}

TEST(quote_text, the_result_never_holds_a_line_break_whatever_the_input) {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  for (std::size_t at = 0; at < every_byte.size(); at += 40) {
    const auto q = quote_text(std::string_view(every_byte).substr(at, 40));
    EXPECT_EQ(q.find('\n'), std::string::npos);
    EXPECT_EQ(q.find('\r'), std::string::npos);
  }
}

}  // namespace
}  // namespace barrage
