#include "http/response_parser.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "guard_page.hpp"
#include "printers.hpp"

using namespace std::literals;

namespace barrage::http {
namespace {

struct expect {
  parse_state state = parse_state::complete;
  parse_error error = parse_error::none;
  int status = 200;
  body_kind body = body_kind::none;
  std::uint64_t length = 0;
  bool keep_alive = true;
  unsigned interim = 0;
};

expect ok_length(std::uint64_t n, int status = 200) {
  return {.status = status, .body = body_kind::content_length, .length = n};
}
expect ok_chunked() { return {.body = body_kind::chunked}; }
expect ok_until_close() { return {.body = body_kind::until_close, .keep_alive = false}; }
expect ok_no_body(int status) { return {.status = status}; }
expect err(parse_error e) { return {.state = parse_state::error, .error = e}; }
expect more() { return {.state = parse_state::incomplete}; }
expect with_interim(expect e, unsigned n) {
  e.interim = n;
  return e;
}
expect closing(expect e) {
  e.keep_alive = false;
  return e;
}

struct response_case {
  std::string name;
  std::string input;
  expect want;
  bool to_head = false;  // the request was HEAD
  response_limits limits = {};
};

response_limits small_head() { return {.max_head_bytes = 64, .max_status_line = 32, .max_headers = 8}; }

std::string r200(std::string_view fields, std::string_view body = "") {
  return "HTTP/1.1 200 OK\r\n" + std::string(fields) + "\r\n" + std::string(body);
}
std::string status(std::string_view line, std::string_view fields, std::string_view body = "") {
  return std::string(line) + "\r\n" + std::string(fields) + "\r\n" + std::string(body);
}
const std::string nginx_200 =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 25 Nov 2025 17:39:00 GMT\r\n"
    "Content-Type: text/html\r\nContent-Length: 12\r\nLast-Modified: Mon, 24 Nov 2025 10:00:00 GMT\r\n"
    "Connection: keep-alive\r\nETag: \"6740f0e0-c\"\r\nAccept-Ranges: bytes\r\n\r\nhello world\n";
const std::string continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";

// clang-format off
const std::vector<response_case> cases = {
  // Valid responses.
  {"accepts_nginx_200", nginx_200, ok_length(12)},
  {"accepts_a_reason_phrase_with_spaces", status("HTTP/1.1 404 Not Found Here", "Content-Length: 0\r\n"), ok_length(0, 404)},
  {"accepts_a_missing_reason_phrase", status("HTTP/1.1 200", "Content-Length: 0\r\n"), ok_length(0)},
  {"accepts_an_empty_reason_phrase", status("HTTP/1.1 200 ", "Content-Length: 0\r\n"), ok_length(0)},
  {"accepts_obs_text_in_the_reason", status("HTTP/1.1 200 \xc3\x89t\xc3\xa9", "Content-Length: 0\r\n"), ok_length(0)},
  {"accepts_a_chunked_response", r200("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), ok_chunked()},
  {"accepts_gzip_then_chunked", r200("Transfer-Encoding: gzip, chunked\r\n"), ok_chunked()},
  {"reads_until_close_without_a_length", r200("", "body"), ok_until_close()},
  {"reads_until_close_when_chunked_is_not_final", r200("Transfer-Encoding: chunked, gzip\r\n"), ok_until_close()},
  {"reads_until_close_for_an_unknown_coding", r200("Transfer-Encoding: foo\r\n"), ok_until_close()},
  {"accepts_leading_zeros_in_content_length", r200("Content-Length: 005\r\n", "hello"), ok_length(5)},
  {"accepts_whitespace_around_content_length", r200("Content-Length: \t 5 \t\r\n", "hello"), ok_length(5)},
  {"has_no_body_for_204_with_content_length", status("HTTP/1.1 204 No Content", "Content-Length: 5\r\n"), ok_no_body(204)},
  {"has_no_body_for_304_with_content_length", status("HTTP/1.1 304 Not Modified", "Content-Length: 5\r\n"), ok_no_body(304)},
  {"has_no_body_for_304_with_chunked", status("HTTP/1.1 304 Not Modified", "Transfer-Encoding: chunked\r\n"), ok_no_body(304)},
  {"has_no_body_for_head_with_content_length", r200("Content-Length: 5\r\n"), ok_no_body(200), true},
  {"has_no_body_for_head_with_chunked", r200("Transfer-Encoding: chunked\r\n"), ok_no_body(200), true},
  {"has_no_body_for_head_without_length", r200(""), ok_no_body(200), true},
  {"skips_100_continue", continue_100 + r200("Content-Length: 2\r\n", "hi"), with_interim(ok_length(2), 1)},
  {"skips_two_interim_responses", continue_100 + continue_100 + r200("Content-Length: 0\r\n"), with_interim(ok_length(0), 2)},
  {"skips_103_early_hints_with_fields", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + r200("Content-Length: 0\r\n"), with_interim(ok_length(0), 1)},
  {"skips_an_interim_response_with_content_length", "HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n" + r200("Content-Length: 0\r\n"), with_interim(ok_length(0), 1)},
  {"skips_as_many_interim_responses_as_allowed", [] { std::string s; for (int i = 0; i < 8; ++i) s += continue_100; return s + r200("Content-Length: 0\r\n"); }(), with_interim(ok_length(0), 8)},
  {"returns_101_as_final_without_body", status("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket\r\nConnection: Upgrade\r\n", "\x81\x05hello"), closing(ok_no_body(101))},
  {"closes_an_http10_response", status("HTTP/1.0 200 OK", "Content-Length: 0\r\n"), closing(ok_length(0))},
  {"keeps_an_http10_response_alive_on_request", status("HTTP/1.0 200 OK", "Content-Length: 0\r\nConnection: keep-alive\r\n"), ok_length(0)},
  {"closes_on_connection_close", r200("Content-Length: 0\r\nConnection: close\r\n"), closing(ok_length(0))},
  {"stops_at_the_end_of_the_first_pipelined_response", r200("Content-Length: 0\r\n") + r200("Content-Length: 0\r\n"), ok_length(0)},
  {"accepts_a_large_status_code", status("HTTP/1.1 599 X", "Content-Length: 0\r\n"), ok_length(0, 599)},
  {"waits_for_the_end_of_the_head", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", more()},
  {"waits_after_an_interim_response", continue_100 + "HTTP/1.1 200 OK\r\n", more()},
  {"waits_on_empty_input", "", more()},
  // Status line.
  {"rejects_http2_in_a_status_line", status("HTTP/2.0 200 OK", ""), err(parse_error::unsupported_version)},
  {"rejects_http_1_2", status("HTTP/1.2 200 OK", ""), err(parse_error::unsupported_version)},
  {"rejects_a_short_version", status("HTTP/2 200 OK", ""), err(parse_error::bad_version)},
  {"rejects_a_lowercase_version", status("http/1.1 200 OK", ""), err(parse_error::bad_version)},
  {"rejects_an_icy_status_line", status("ICY 200 OK", ""), err(parse_error::bad_version)},
  {"rejects_a_two_digit_status", status("HTTP/1.1 20 OK", ""), err(parse_error::bad_status)},
  {"rejects_a_four_digit_status", status("HTTP/1.1 2000 OK", ""), err(parse_error::bad_status)},
  {"rejects_status_099", status("HTTP/1.1 099 X", ""), err(parse_error::bad_status)},
  {"rejects_status_600", status("HTTP/1.1 600 X", ""), err(parse_error::bad_status)},
  {"rejects_a_non_numeric_status", status("HTTP/1.1 abc OK", ""), err(parse_error::bad_status)},
  {"rejects_two_spaces_before_the_status", status("HTTP/1.1  200 OK", ""), err(parse_error::bad_status)},
  {"rejects_a_status_line_without_status", status("HTTP/1.1", ""), err(parse_error::bad_status)},
  {"rejects_a_control_byte_in_the_reason", status("HTTP/1.1 200 O\x01K", ""), err(parse_error::bad_reason)},
  {"rejects_nul_in_the_reason", status("HTTP/1.1 200 O\0K"s, ""), err(parse_error::nul_byte)},
  {"rejects_a_bare_cr_in_the_status_line", "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n", err(parse_error::bare_cr)},
  {"rejects_a_bare_lf_after_the_status_line", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", err(parse_error::bare_lf)},
  {"rejects_an_empty_line_before_the_status_line", "\r\nHTTP/1.1 200 OK\r\n\r\n", err(parse_error::bad_version)},
  {"rejects_a_status_line_over_the_limit", status("HTTP/1.1 200 " + std::string(40, 'k'), ""), err(parse_error::start_line_too_long), false, small_head()},
  // Fields.
  {"rejects_obs_fold", r200("X: a\r\n b\r\n"), err(parse_error::obs_fold)},
  {"rejects_a_space_before_the_colon", r200("Content-Length : 5\r\n"), err(parse_error::space_before_colon)},
  {"rejects_a_field_name_starting_with_a_space", r200(" Content-Length: 5\r\n"), err(parse_error::space_after_start_line)},
  {"rejects_a_bare_cr_in_a_field_value", r200("X: a\rb\r\n"), err(parse_error::bare_cr)},
  {"rejects_a_bare_lf_after_a_field", r200("X: a\nY: b\r\n"), err(parse_error::bare_lf)},
  {"rejects_nul_in_a_field_value", r200("X: a\0b\r\n"s), err(parse_error::nul_byte)},
  {"rejects_a_control_byte_in_a_field_value", r200("X: a\x1b[0m\r\n"), err(parse_error::bad_header_value)},
  {"rejects_a_non_token_field_name", r200("X(y): z\r\n"), err(parse_error::bad_header_name)},
  {"rejects_a_field_line_without_colon", r200("NoColon\r\n"), err(parse_error::missing_colon)},
  {"rejects_a_head_over_the_size_limit", r200("X: " + std::string(60, 'x') + "\r\n"), err(parse_error::head_too_large), false, small_head()},
  {"rejects_too_many_fields", r200("A: 1\r\nB: 2\r\n"), err(parse_error::too_many_headers), false, {.max_headers = 1}},
  {"rejects_a_content_length_lookalike_name", r200("Content-Length: 5\r\nContent_Length: 6\r\n", "hello"), err(parse_error::bad_header_name)},
  // Framing.
  {"rejects_content_length_with_a_sign", r200("Content-Length: +5\r\n", "hello"), err(parse_error::bad_content_length)},
  {"rejects_a_hex_content_length", r200("Content-Length: 0x5\r\n", "hello"), err(parse_error::bad_content_length)},
  {"rejects_a_space_inside_content_length", r200("Content-Length: 1 2\r\n"), err(parse_error::bad_content_length)},
  {"rejects_a_negative_content_length", r200("Content-Length: -1\r\n"), err(parse_error::bad_content_length)},
  {"rejects_an_empty_content_length", r200("Content-Length:\r\n"), err(parse_error::bad_content_length)},
  {"rejects_differing_content_length_fields", r200("Content-Length: 5\r\nContent-Length: 6\r\n", "hello"), err(parse_error::duplicate_content_length)},
  {"rejects_identical_content_length_fields", r200("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), err(parse_error::duplicate_content_length)},
  {"rejects_a_content_length_list", r200("Content-Length: 5, 5\r\n", "hello"), err(parse_error::duplicate_content_length)},
  {"rejects_a_content_length_beyond_64_bits", r200("Content-Length: 18446744073709551616\r\n"), err(parse_error::content_length_overflow)},
  {"rejects_transfer_encoding_with_content_length", r200("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), err(parse_error::te_and_cl)},
  {"rejects_content_length_with_transfer_encoding", r200("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), err(parse_error::te_and_cl)},
  {"rejects_chunked_twice", r200("Transfer-Encoding: chunked, chunked\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_an_empty_transfer_coding", r200("Transfer-Encoding: gzip,,chunked\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_transfer_encoding_in_http10", status("HTTP/1.0 200 OK", "Transfer-Encoding: chunked\r\n"), err(parse_error::transfer_encoding_in_http10)},
  {"rejects_a_bad_content_length_even_on_204", status("HTTP/1.1 204 No Content", "Content-Length: x\r\n"), err(parse_error::bad_content_length)},
  {"rejects_a_bad_content_length_even_for_head", r200("Content-Length: +5\r\n"), err(parse_error::bad_content_length), true},
  {"rejects_nine_interim_responses", [] { std::string s; for (int i = 0; i < 9; ++i) s += continue_100; return s + r200("Content-Length: 0\r\n"); }(), err(parse_error::too_many_interim_responses)},
  {"rejects_a_malformed_interim_response", "HTTP/1.1 100 Continue\r\nX : y\r\n\r\n" + r200("Content-Length: 0\r\n"), err(parse_error::space_before_colon)},
};
// clang-format on

class response_cases : public ::testing::TestWithParam<response_case> {
 protected:
  static test::guard_page& arena(int i) {
    static test::guard_page pages[2];
    return pages[i];
  }
  std::array<header, 32> fields_{};
};

// Where the final head ends: after the blank line of each interim response and its own.
std::size_t head_end(const std::string& input, unsigned interim) {
  std::size_t at = 0;
  for (unsigned i = 0; i <= interim; ++i) at = input.find("\r\n\r\n", at) + 4;
  return at;
}

void check(const response_parser& p, parse_status st, const response_case& c) {
  ASSERT_EQ(st.state, c.want.state) << "error: " << to_string(st.error);
  EXPECT_EQ(st.error, c.want.error);
  if (!st.complete()) return;
  EXPECT_EQ(st.consumed, head_end(c.input, c.want.interim));
  const response_head& h = p.head();
  EXPECT_EQ(h.status, c.want.status);
  EXPECT_EQ(h.body.kind, c.want.body);
  EXPECT_EQ(h.body.length, c.want.length);
  EXPECT_EQ(h.keep_alive, c.want.keep_alive);
  EXPECT_EQ(h.interim, c.want.interim);
}

TEST_P(response_cases, parses_the_whole_input) {
  const response_case& c = GetParam();
  response_parser p(fields_, c.limits);
  p.reset(c.to_head);
  const std::string_view buffer = arena(0).place(c.input);
  check(p, p.parse(buffer), c);
  EXPECT_EQ(p.parse(buffer), p.status()) << "the outcome is kept";
}

TEST_P(response_cases, parses_one_byte_at_a_time) {
  const response_case& c = GetParam();
  response_parser p(fields_, c.limits);
  p.reset(c.to_head);
  parse_status st;
  std::size_t k = 0;
  for (; k <= c.input.size(); ++k) {
    st = p.parse(arena(static_cast<int>(k % 2)).place(std::string_view(c.input).substr(0, k)));
    if (!st.incomplete()) break;
  }
  check(p, st, c);
  if (st.complete()) {
    EXPECT_EQ(k, st.consumed) << "completes on the head's last byte";
  }
}

TEST_P(response_cases, parses_split_in_two_at_every_position) {
  const response_case& c = GetParam();
  for (std::size_t k = 0; k <= c.input.size(); ++k) {
    SCOPED_TRACE("split at " + std::to_string(k));
    response_parser p(fields_, c.limits);
    p.reset(c.to_head);
    const parse_status st = p.parse(arena(0).place(std::string_view(c.input).substr(0, k)));
    if (!st.incomplete()) {
      check(p, st, c);
      EXPECT_EQ(p.parse(arena(1).place(c.input)), st);
      continue;
    }
    check(p, p.parse(arena(1).place(c.input)), c);
  }
}

INSTANTIATE_TEST_SUITE_P(table, response_cases, ::testing::ValuesIn(cases),
                         [](const auto& info) { return info.param.name; });

TEST(response_parser, exposes_version_status_reason_and_fields) {
  std::array<header, 16> fields{};
  response_parser p(fields);
  ASSERT_TRUE(p.parse(nginx_200).complete());
  const response_head& h = p.head();
  EXPECT_EQ(h.version, http_version::http_1_1);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.reason, "OK");
  ASSERT_EQ(h.headers.size(), 8u);
  EXPECT_EQ(h.headers[0].name, "Server");
  EXPECT_EQ(h.headers[0].value, "nginx/1.22.1");
  EXPECT_EQ(h.headers[6].value, "\"6740f0e0-c\"");
}

TEST(response_parser, exposes_the_final_response_after_interim_ones_in_a_moved_buffer) {
  std::array<header, 16> fields{};
  response_parser p(fields);
  const std::string whole = continue_100 + "HTTP/1.1 201 Created\r\nLocation: /x\r\n\r\n";
  std::string first = whole.substr(0, continue_100.size() + 20);
  ASSERT_TRUE(p.parse(first).incomplete());
  first.assign(first.size(), '!');  // the earlier buffer is gone
  ASSERT_TRUE(p.parse(whole).complete());
  EXPECT_EQ(p.head().status, 201);
  EXPECT_EQ(p.head().reason, "Created");
  ASSERT_EQ(p.head().headers.size(), 1u);
  EXPECT_EQ(p.head().headers[0].value, "/x");
}

TEST(response_parser, forgets_the_head_flag_on_reset) {
  std::array<header, 4> fields{};
  response_parser p(fields);
  const std::string in = r200("Content-Length: 5\r\n", "hello");
  p.reset(true);
  ASSERT_TRUE(p.parse(in).complete());
  EXPECT_EQ(p.head().body.kind, body_kind::none);
  p.reset();
  ASSERT_TRUE(p.parse(in).complete());
  EXPECT_EQ(p.head().body, (body_framing{body_kind::content_length, 5}));
}

}  // namespace
}  // namespace barrage::http
