#include "http/chunked_decoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "guard_page.hpp"
#include "printers.hpp"

using namespace std::literals;

namespace barrage::http {
namespace {

struct expect {
  body_state state = body_state::done;
  parse_error error = parse_error::none;
  std::string data;      // decoded body (so far, when in progress)
  std::size_t tail = 0;  // done: input bytes after the message
};

expect ok(std::string data, std::size_t tail = 0) { return {body_state::done, parse_error::none, std::move(data), tail}; }
expect more(std::string data) { return {body_state::in_progress, parse_error::none, std::move(data), 0}; }
expect err(parse_error e) { return {body_state::error, e, {}, 0}; }

struct chunked_case {
  std::string name;
  std::string input;
  expect want;
  chunked_limits limits = {};
};

// clang-format off
const std::vector<chunked_case> cases = {
  {"decodes_one_chunk", "5\r\nhello\r\n0\r\n\r\n", ok("hello")},
  {"decodes_two_chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", ok("hello world")},
  {"decodes_an_uppercase_hex_size", "A\r\nhelloworld\r\n0\r\n\r\n", ok("helloworld")},
  {"decodes_a_lowercase_hex_size", "a\r\nhelloworld\r\n0\r\n\r\n", ok("helloworld")},
  {"decodes_a_size_with_leading_zeros", "0005\r\nhello\r\n000\r\n\r\n", ok("hello")},
  {"decodes_an_empty_body", "0\r\n\r\n", ok("")},
  {"decodes_data_holding_crlf", "4\r\n\r\n\r\n\r\n0\r\n\r\n", ok("\r\n\r\n")},
  {"accepts_a_chunk_extension", "5;ext=value\r\nhello\r\n0\r\n\r\n", ok("hello")},
  {"accepts_a_valueless_extension", "5;ext\r\nhello\r\n0;last\r\n\r\n", ok("hello")},
  {"accepts_several_extensions", "5;a;b=c;d=e\r\nhello\r\n0\r\n\r\n", ok("hello")},
  {"accepts_a_quoted_extension_value", "5;a=\"b c;\\\"d\"\r\nhello\r\n0\r\n\r\n", ok("hello")},
  {"accepts_a_trailer_field", "5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n", ok("hello")},
  {"accepts_several_trailer_fields", "0\r\nA: 1\r\nB:\r\nC: x\ty\r\n\r\n", ok("")},
  {"leaves_the_next_message_unconsumed", "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", ok("hello", 16)},
  {"waits_inside_chunk_data", "5\r\nhel", more("hel")},
  {"waits_for_the_final_crlf", "5\r\nhello\r\n0\r\n", more("hello")},
  {"waits_inside_a_trailer", "0\r\nX: y", more("")},
  {"accepts_the_largest_chunk_size", "ffffffffffffffff\r\nab", more("ab")},
  {"waits_on_empty_input", "", more("")},
  // Chunk size.
  {"rejects_a_hex_prefix", "0x5\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_size)},
  {"rejects_a_negative_size", "-1\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_size)},
  {"rejects_a_plus_sign", "+5\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_size)},
  {"rejects_plus_zero", "+0\r\n\r\nX", err(parse_error::bad_chunk_size)},
  {"rejects_a_leading_space", " 5\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_size)},
  {"rejects_a_trailing_space", "5 \r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_size)},
  {"rejects_a_trailing_tab", "5\t\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_size)},
  {"rejects_a_space_before_an_extension", "5 ;a\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_size)},
  {"rejects_an_underscore", "1_0\r\nhello world!!!!!\r\n0\r\n\r\n", err(parse_error::bad_chunk_size)},
  {"rejects_an_empty_size", "\r\nhello\r\n", err(parse_error::bad_chunk_size)},
  {"rejects_a_size_beyond_64_bits", "ffffffffffffffffff\r\n", err(parse_error::chunk_size_overflow)},
  {"rejects_a_17_digit_size", "FFFFFFFFFFFFFFFF0\r\nhello\r\n0\r\n\r\n", err(parse_error::chunk_size_overflow)},
  // Line endings.
  {"rejects_a_size_line_ended_by_lf", "5\nhello\r\n0\r\n\r\n", err(parse_error::bare_lf)},
  {"rejects_a_size_line_ended_by_cr", "5\rhello\r\n0\r\n\r\n", err(parse_error::bare_cr)},
  {"rejects_lf_inside_a_chunk_extension", "5;\nhello\r\n0\r\n\r\n", err(parse_error::bare_lf)},
  {"rejects_lf_after_an_extension_name", "5;a\nhello\r\n0\r\n\r\n", err(parse_error::bare_lf)},
  {"rejects_a_bare_cr_inside_a_chunk_extension", "5;a\rX\r\nhello\r\n0\r\n\r\n", err(parse_error::bare_cr)},
  {"rejects_missing_crlf_after_chunk_data", "5\r\nhello0\r\n\r\n", err(parse_error::bad_chunk_terminator)},
  {"rejects_a_chunk_longer_than_its_size", "5\r\nhello!!\r\n0\r\n\r\n", err(parse_error::bad_chunk_terminator)},
  {"rejects_chunk_data_ended_by_lf", "5\r\nhello\n0\r\n\r\n", err(parse_error::bad_chunk_terminator)},
  {"rejects_chunk_data_ended_by_cr_alone", "5\r\nhello\rX", err(parse_error::bad_chunk_terminator)},
  {"rejects_a_last_chunk_ended_by_lf", "5\r\nhello\r\n0\r\n\n", err(parse_error::bare_lf)},
  {"rejects_a_final_cr_without_lf", "0\r\n\rX", err(parse_error::bare_cr)},
  // Extensions.
  {"rejects_a_bare_semicolon", "5;\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_extension)},
  {"rejects_a_non_token_extension_name", "5;bad[=x\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_extension)},
  {"rejects_nul_in_an_extension", "5;\0ext\r\nhello\r\n0\r\n\r\n"s, err(parse_error::bad_chunk_extension)},
  {"rejects_an_empty_extension_value", "5;a=\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_extension)},
  {"rejects_a_space_inside_an_extension", "5; a=b\r\nhello\r\n0\r\n\r\n", err(parse_error::bad_chunk_extension)},
  {"rejects_text_after_a_quoted_value", "5;a=\"b\"c\r\nhello\r\n", err(parse_error::bad_chunk_extension)},
  {"rejects_a_control_byte_in_a_quoted_value", "5;a=\"b\x01\"\r\nhello\r\n", err(parse_error::bad_chunk_extension)},
  {"rejects_an_extension_over_the_limit", "5;a=" + std::string(100, 'x') + "\r\nhello\r\n0\r\n\r\n", err(parse_error::chunk_ext_too_long), {.max_chunk_line = 64}},
  {"accepts_an_extension_at_the_limit", "5;a=" + std::string(59, 'x') + "\r\nhello\r\n0\r\n\r\n", ok("hello"), {.max_chunk_line = 64}},
  {"rejects_an_8k_extension_by_default", "5;ext=" + std::string(8192, 'a') + "\r\nhello\r\n0\r\n\r\n", err(parse_error::chunk_ext_too_long)},
  // Trailers.
  {"rejects_content_length_in_the_trailer", "5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n", err(parse_error::forbidden_trailer)},
  {"rejects_transfer_encoding_in_the_trailer", "0\r\nTransfer-Encoding: chunked\r\n\r\n", err(parse_error::forbidden_trailer)},
  {"rejects_host_in_the_trailer", "0\r\nHost: evil.example.com\r\n\r\n", err(parse_error::forbidden_trailer)},
  {"rejects_authorization_in_the_trailer", "0\r\nAUTHORIZATION: Bearer evil\r\n\r\n", err(parse_error::forbidden_trailer)},
  {"rejects_content_type_in_the_trailer", "0\r\nContent-Type: text/evil\r\n\r\n", err(parse_error::forbidden_trailer)},
  {"accepts_a_long_trailer_name_sharing_a_forbidden_prefix", "0\r\nContent-Length-And-Something-Else: 1\r\n\r\n", ok("")},
  {"rejects_obs_fold_in_the_trailer", "0\r\nX: a\r\n b\r\n\r\n", err(parse_error::obs_fold)},
  {"rejects_a_trailer_starting_with_a_space", "0\r\n X: a\r\n\r\n", err(parse_error::bad_header_name)},
  {"rejects_a_space_before_a_trailer_colon", "0\r\nX : a\r\n\r\n", err(parse_error::space_before_colon)},
  {"rejects_a_trailer_without_colon", "0\r\nX\r\n\r\n", err(parse_error::missing_colon)},
  {"rejects_an_empty_trailer_name", "0\r\n: a\r\n\r\n", err(parse_error::bad_header_name)},
  {"rejects_nul_in_a_trailer_value", "0\r\nX: a\0b\r\n\r\n"s, err(parse_error::nul_byte)},
  {"rejects_a_control_byte_in_a_trailer_value", "0\r\nX: a\x7f\r\n\r\n", err(parse_error::bad_header_value)},
  {"rejects_a_bare_cr_in_a_trailer_value", "0\r\nX: a\rb\r\n\r\n", err(parse_error::bare_cr)},
  {"rejects_a_bare_lf_after_a_trailer", "0\r\nX: a\n\r\n", err(parse_error::bare_lf)},
  {"rejects_a_trailer_section_over_the_limit", "0\r\nX: " + std::string(100, 'x') + "\r\n\r\n", err(parse_error::trailer_too_large), {.max_trailer_bytes = 64}},
};
// clang-format on

test::guard_page& arena() {
  static test::guard_page page;
  return page;
}

struct outcome {
  body_step last;
  std::string data;
  std::size_t consumed = 0;
};

// Feeds `input` cut at the positions `cuts` (ascending), each piece placed against the guard
// page and fed until the decoder has used all of it or stopped.
outcome decode(chunked_decoder& d, std::string_view input, const std::vector<std::size_t>& cuts) {
  outcome o;
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : input.size();
    std::string_view rest = arena().place(input.substr(from, to - from));
    from = to;
    do {
      o.last = d.feed(rest);
      o.data.append(o.last.data);
      o.consumed += o.last.consumed;
      rest.remove_prefix(o.last.consumed);
      if (o.last.state == body_state::in_progress && !rest.empty() && o.last.consumed == 0) {
        ADD_FAILURE() << "no progress";
        return o;
      }
    } while (!rest.empty() && o.last.state == body_state::in_progress);
    if (o.last.state != body_state::in_progress) break;
  }
  return o;
}

void check(const outcome& o, const chunked_case& c) {
  ASSERT_EQ(o.last.state, c.want.state) << "error: " << to_string(o.last.error);
  EXPECT_EQ(o.last.error, c.want.error);
  if (o.last.state == body_state::error) return;
  EXPECT_EQ(o.data, c.want.data);
  if (o.last.state == body_state::done) {
    EXPECT_EQ(o.consumed, c.input.size() - c.want.tail);
  }
}

class chunked_cases : public ::testing::TestWithParam<chunked_case> {};

TEST_P(chunked_cases, decodes_the_whole_input) {
  const chunked_case& c = GetParam();
  chunked_decoder d(c.limits);
  check(decode(d, c.input, {}), c);
  if (d.state() != body_state::in_progress) {
    EXPECT_EQ(d.feed("0\r\n\r\n").consumed, 0u) << "a finished decoder consumes nothing";
  }
}

TEST_P(chunked_cases, decodes_one_byte_at_a_time) {
  const chunked_case& c = GetParam();
  std::vector<std::size_t> cuts;
  for (std::size_t k = 1; k < c.input.size(); ++k) cuts.push_back(k);
  chunked_decoder d(c.limits);
  check(decode(d, c.input, cuts), c);
}

TEST_P(chunked_cases, decodes_split_in_two_at_every_position) {
  const chunked_case& c = GetParam();
  for (std::size_t k = 0; k <= c.input.size(); ++k) {
    SCOPED_TRACE("split at " + std::to_string(k));
    chunked_decoder d(c.limits);
    check(decode(d, c.input, {k}), c);
  }
}

INSTANTIATE_TEST_SUITE_P(table, chunked_cases, ::testing::ValuesIn(cases),
                         [](const auto& info) { return info.param.name; });

TEST(chunked_decoder, returns_chunk_data_as_views_into_the_input) {
  chunked_decoder d;
  const std::string_view in = "3\r\nabc\r\n0\r\n\r\n";
  const body_step step = d.feed(in);
  EXPECT_EQ(step.data, "abc");
  EXPECT_EQ(step.data.data(), in.data() + 3);
  EXPECT_EQ(step.consumed, 6u);
}

TEST(chunked_decoder, stops_at_each_chunk_so_the_caller_sees_every_run) {
  chunked_decoder d;
  std::string_view in = "1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
  std::vector<std::string_view> runs;
  while (d.state() == body_state::in_progress) {
    const body_step step = d.feed(in);
    if (!step.data.empty()) runs.push_back(step.data);
    in.remove_prefix(step.consumed);
  }
  EXPECT_EQ(runs, (std::vector<std::string_view>{"a", "b"}));
  EXPECT_TRUE(in.empty());
}

}  // namespace
}  // namespace barrage::http
