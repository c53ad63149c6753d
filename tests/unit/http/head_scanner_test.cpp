#include "http/head_scanner.hpp"

#include <gtest/gtest.h>

#include <string>

#include "printers.hpp"

namespace barrage::http::detail {
namespace {

constexpr head_limits limits{1024, 256};
using event = head_scanner::event;

TEST(head_scanner, reports_the_start_line_then_the_end_of_the_head) {
  head_scanner s;
  s.reset(0);
  const std::string_view in = "GET / HTTP/1.1\r\nA: b\r\n\r\nBODY";
  auto step = s.scan(in, limits);
  ASSERT_EQ(step.what, event::start_line);
  EXPECT_EQ(in.substr(step.begin, step.end - step.begin), "GET / HTTP/1.1");
  step = s.scan(in, limits);
  ASSERT_EQ(step.what, event::end_of_head);
  EXPECT_EQ(step.end, in.size() - 4);
}

TEST(head_scanner, never_looks_again_at_bytes_it_has_scanned) {
  head_scanner s;
  s.reset(0);
  std::string buf = "GET / HTTP/1.1\r\nA: b\r\nC: d";
  ASSERT_EQ(s.scan(buf, limits).what, event::start_line);
  ASSERT_EQ(s.scan(buf, limits).what, event::need_more);
  // Overwrite what was scanned with bare LFs: a re-scan would report bare_lf.
  buf.assign(buf.size(), '\n');
  buf[buf.size() - 1] = 'd';
  buf += "\r\n\r\n";
  const auto step = s.scan(buf, limits);
  EXPECT_EQ(step.what, event::end_of_head);
  EXPECT_EQ(step.end, buf.size());
}

TEST(head_scanner, starts_at_the_given_offset) {
  head_scanner s;
  const std::string_view in = "xxxxHTTP/1.1 200 OK\r\n\r\n";
  s.reset(4);
  ASSERT_EQ(s.scan(in, limits).what, event::start_line);
  EXPECT_EQ(s.scan(in, limits).what, event::end_of_head);
}

TEST(head_scanner, rejects_a_bare_lf) {
  head_scanner s;
  s.reset(0);
  const auto step = s.scan("GET / HTTP/1.1\n", limits);
  EXPECT_EQ(step.what, event::error);
  EXPECT_EQ(step.error, parse_error::bare_lf);
}

TEST(head_scanner, rejects_a_head_over_the_limit_only_once_the_limit_is_reached) {
  head_scanner s;
  s.reset(0);
  const std::string head = "GET / HTTP/1.1\r\n" + std::string(2000, 'x');
  ASSERT_EQ(s.scan(std::string_view(head).substr(0, 1023), limits).what, event::start_line);
  EXPECT_EQ(s.scan(std::string_view(head).substr(0, 1023), limits).what, event::need_more);
  const auto step = s.scan(head, limits);
  EXPECT_EQ(step.what, event::error);
  EXPECT_EQ(step.error, parse_error::head_too_large);
}

TEST(head_scanner, bounds_the_start_line_the_same_with_or_without_its_lf) {
  const std::string line(300, 'A');
  for (const std::string& in : {line, line + "\r\n\r\n", line + "\n"}) {
    head_scanner s;
    s.reset(0);
    const auto step = s.scan(in, limits);
    EXPECT_EQ(step.error, parse_error::start_line_too_long) << in.size();
  }
  head_scanner s;
  s.reset(0);
  std::string fits(256, 'A');
  fits += "\r\n";
  EXPECT_EQ(s.scan(fits, limits).what, event::start_line) << "256 fits";
}

}  // namespace
}  // namespace barrage::http::detail
