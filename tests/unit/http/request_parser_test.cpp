#include "http/request_parser.hpp"

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
  body_kind body = body_kind::none;
  std::uint64_t length = 0;
  bool keep_alive = true;
};

expect ok() { return {}; }
expect ok_close() { return {.keep_alive = false}; }
expect ok_length(std::uint64_t n) { return {.body = body_kind::content_length, .length = n}; }
expect ok_chunked() { return {.body = body_kind::chunked}; }
expect err(parse_error e) { return {.state = parse_state::error, .error = e}; }
expect more() { return {.state = parse_state::incomplete}; }

struct request_case {
  std::string name;
  std::string input;
  expect want;
  request_limits limits = {};
};

request_limits small_head() { return {.max_head_bytes = 64, .max_request_line = 32, .max_headers = 8}; }
request_limits few_headers() { return {.max_headers = 2}; }

constexpr std::string_view H = "Host: a\r\n";
std::string get(std::string_view fields) { return "GET / HTTP/1.1\r\nHost: a\r\n" + std::string(fields) + "\r\n"; }
std::string post(std::string_view fields, std::string_view body = "") {
  return "POST / HTTP/1.1\r\nHost: a\r\n" + std::string(fields) + "\r\n" + std::string(body);
}

// clang-format off
const std::vector<request_case> cases = {
  // Valid requests.
  {"accepts_a_simple_get", get(""), ok()},
  {"accepts_http10_without_host_and_closes", "GET / HTTP/1.0\r\n\r\n", ok_close()},
  {"keeps_http10_alive_on_request", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", ok()},
  {"closes_on_connection_close", get("Connection: close\r\n"), ok_close()},
  {"finds_close_in_a_connection_list", get("Connection: keep-alive, Close\r\n"), ok_close()},
  {"accepts_content_length", post("Content-Length: 5\r\n", "hello"), ok_length(5)},
  {"accepts_content_length_zero", post("Content-Length: 0\r\n"), ok_length(0)},
  {"accepts_content_length_without_space", post("Content-Length:5\r\n", "hello"), ok_length(5)},
  {"accepts_the_largest_content_length", post("Content-Length: 18446744073709551615\r\n"), ok_length(18446744073709551615ull)},
  {"accepts_chunked", post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), ok_chunked()},
  {"accepts_chunked_in_any_case", post("Transfer-Encoding: Chunked\r\n"), ok_chunked()},
  {"accepts_a_post_without_body_framing", post(""), ok()},
  {"stops_at_the_end_of_the_first_pipelined_request", get("") + get(""), ok()},
  {"accepts_options_asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", ok()},
  {"accepts_absolute_form_naming_the_host", "GET http://a/x?y HTTP/1.1\r\nHost: a\r\n\r\n", ok()},
  {"accepts_absolute_form_without_path", "OPTIONS http://A HTTP/1.1\r\nHost: a\r\n\r\n", ok()},
  {"accepts_connect_authority_form", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", ok()},
  {"accepts_an_ipv6_host_with_port", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", ok()},
  {"accepts_an_empty_field_value", get("X-Empty:\r\n"), ok()},
  {"accepts_a_tab_inside_a_field_value", get("X: a\tb\r\n"), ok()},
  {"accepts_obs_text_in_a_field_value", get("X: caf\xc3\xa9\r\n"), ok()},
  {"accepts_trailing_whitespace_on_ordinary_fields", get("X: v \t \r\n"), ok()},
  {"accepts_a_lowercase_method_token", "get / HTTP/1.1\r\nHost: a\r\n\r\n", ok()},
  {"accepts_an_encoded_newline_in_the_query", "GET /?a=%0D%0A HTTP/1.1\r\nHost: a\r\n\r\n", ok()},
  {"accepts_sub_delims_in_the_target", "GET /a;b=c,d!$&'()*+@:~ HTTP/1.1\r\nHost: a\r\n\r\n", ok()},
  {"accepts_a_long_target", "GET /" + std::string(7900, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", ok()},
  {"accepts_an_underscore_in_other_field_names", get("X_Forwarded: 1\r\n"), ok()},
  {"accepts_content_length_and_a_transfer_encoding_lookalike_value", post("Content-Length: 2\r\nX-Transfer-Encoding: chunked\r\n", "hi"), ok_length(2)},
  {"waits_for_the_end_of_the_head", "GET / HTTP/1.1\r\nHost: a\r\n", more()},
  {"waits_for_the_last_lf", "GET / HTTP/1.1\r\nHost: a\r\n\r", more()},
  {"waits_on_empty_input", "", more()},
  {"waits_for_the_rest_of_the_request_line", "GET / HTTP/1.1", more()},
  // Line endings and stray bytes.
  {"rejects_a_bare_lf_after_the_request_line", "GET / HTTP/1.1\nHost: a\r\n\r\n", err(parse_error::bare_lf)},
  {"rejects_a_bare_lf_after_a_field", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", err(parse_error::bare_lf)},
  {"rejects_a_bare_lf_ending_the_head", "GET / HTTP/1.1\r\nHost: a\r\n\n", err(parse_error::bare_lf)},
  {"rejects_a_bare_cr_ending_the_request_line", "GET / HTTP/1.1\rHost: a\r\n\r\n", err(parse_error::bare_cr)},
  {"rejects_a_bare_cr_in_a_field_value", get("X-Test: val\rue\r\n"), err(parse_error::bare_cr)},
  {"rejects_a_bare_cr_in_a_field_name", get("X\r-Test: v\r\n"), err(parse_error::bare_cr)},
  {"rejects_nul_in_a_field_value", get("X-Test: val\0ue\r\n"s), err(parse_error::nul_byte)},
  {"rejects_nul_in_a_field_name", get("X\0: v\r\n"s), err(parse_error::nul_byte)},
  {"rejects_nul_in_the_target", "GET /\0test HTTP/1.1\r\nHost: a\r\n\r\n"s, err(parse_error::nul_byte)},
  {"rejects_nul_after_chunked", post("Transfer-Encoding: chunked\0\r\n"s), err(parse_error::nul_byte)},
  {"rejects_control_bytes_in_a_field_value", get("X-Test: abc\x07\x08?f\r\n"), err(parse_error::bad_header_value)},
  {"rejects_del_in_a_field_value", get("X: a\x7f\r\n"), err(parse_error::bad_header_value)},
  {"rejects_a_vertical_tab_before_chunked", post("Transfer-Encoding: \x0b" "chunked\r\n"), err(parse_error::bad_header_value)},
  {"rejects_a_form_feed_before_chunked", post("Transfer-Encoding: \x0c" "chunked\r\n"), err(parse_error::bad_header_value)},
  {"rejects_binary_garbage", "\x3e\x17\xba\x96\n\xae\x04\r\n\r\n", err(parse_error::bare_lf)},
  // Field lines.
  {"rejects_obs_fold", get("X-Test: value\r\n continued\r\n"), err(parse_error::obs_fold)},
  {"rejects_an_obs_folded_transfer_encoding", post("Transfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n", "hello"), err(parse_error::obs_fold)},
  {"rejects_a_space_before_the_colon", get("X-Test : value\r\n"), err(parse_error::space_before_colon)},
  {"rejects_a_tab_before_the_colon", get("X-Test\t: value\r\n"), err(parse_error::space_before_colon)},
  {"rejects_content_length_with_a_space_before_the_colon", post("Content-Length: 11\r\nContent-Length : 5\r\n", "hello world"), err(parse_error::space_before_colon)},
  {"rejects_a_field_name_starting_with_a_space", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", err(parse_error::space_after_start_line)},
  {"rejects_a_whitespace_line_before_the_fields", "GET / HTTP/1.1\r\n \r\nHost: a\r\n\r\n", err(parse_error::space_after_start_line)},
  {"rejects_an_empty_field_name", get(": empty-name\r\n"), err(parse_error::bad_header_name)},
  {"rejects_a_bracket_in_a_field_name", get("Bad[Name: value\r\n"), err(parse_error::bad_header_name)},
  {"rejects_utf8_in_a_field_name", get("X-T\xc3\xabst: value\r\n"), err(parse_error::bad_header_name)},
  {"rejects_a_tab_inside_a_field_name", post("Content-Length: 11\r\nContent\tLength: 99\r\n", "hello world"), err(parse_error::space_before_colon)},
  {"rejects_a_field_line_without_colon", get("NoColonHere\r\n"), err(parse_error::missing_colon)},
  {"rejects_content_length_spelled_with_an_underscore", post("Content-Length: 11\r\nContent_Length: 99\r\n", "hello world"), err(parse_error::bad_header_name)},
  {"rejects_transfer_encoding_spelled_with_an_underscore", post("Transfer_Encoding: chunked\r\nContent-Length: 5\r\n", "hello"), err(parse_error::bad_header_name)},
  {"rejects_too_many_fields", get("A: 1\r\nB: 2\r\n"), err(parse_error::too_many_headers), few_headers()},
  {"accepts_as_many_fields_as_allowed", get("A: 1\r\n"), ok(), few_headers()},
  {"rejects_a_head_over_the_size_limit", get("X: " + std::string(60, 'x') + "\r\n"), err(parse_error::head_too_large), small_head()},
  {"rejects_an_unterminated_head_at_the_size_limit", "GET / HTTP/1.1\r\n" + std::string(100, 'x'), err(parse_error::head_too_large), small_head()},
  {"accepts_a_head_just_within_the_size_limit", "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(32, 'x') + "\r\n\r\n", ok(), small_head()},
  {"rejects_a_request_line_over_the_limit", "GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::start_line_too_long), small_head()},
  {"rejects_a_long_method_before_its_end", std::string(50, 'A'), err(parse_error::start_line_too_long), small_head()},
  // Request line.
  {"rejects_two_spaces_after_the_method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_request_line)},
  {"rejects_two_spaces_before_the_version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_request_line)},
  {"rejects_a_tab_as_separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_request_line)},
  {"rejects_a_missing_target", "GET HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_request_line)},
  {"rejects_an_http09_request", "GET /\r\n", err(parse_error::bad_request_line)},
  {"rejects_empty_lines_before_the_request", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_request_line)},
  {"rejects_a_request_line_of_spaces", "   \r\n\r\n", err(parse_error::bad_request_line)},
  {"rejects_a_method_with_a_slash", "GE/T / HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_method)},
  {"rejects_a_fragment_in_the_target", "GET /path#frag HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_a_backslash_in_the_target", "GET /path\\file HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_a_space_inside_the_target", "GET /pa th HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_raw_utf8_in_the_target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_overlong_utf8_in_the_target", "GET /\xc0\xaf HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_an_encoded_nul_in_the_path", "GET /path%00.html HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_an_encoded_crlf_in_the_path", "GET /p%0d%0aX:%20y HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_a_truncated_percent_escape", "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_a_non_hex_percent_escape", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_a_relative_target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_asterisk_form_for_get", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::asterisk_without_options)},
  {"rejects_an_asterisk_with_a_suffix", "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_userinfo_in_an_absolute_target", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_an_unsupported_scheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_an_absolute_target_naming_another_host", "GET http://other.example/ HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::host_mismatch)},
  {"rejects_connect_without_a_port", "CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  {"rejects_connect_with_an_origin_target", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_target)},
  // Versions.
  {"rejects_http2_in_a_request_line", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", err(parse_error::unsupported_version)},
  {"rejects_the_http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", err(parse_error::unsupported_version)},
  {"rejects_version_9_9", "GET / HTTP/9.9\r\nHost: a\r\n\r\n", err(parse_error::unsupported_version)},
  {"rejects_version_1_2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", err(parse_error::unsupported_version)},
  {"rejects_version_0_9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", err(parse_error::unsupported_version)},
  {"rejects_a_lowercase_version", "GET / http/1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_version)},
  {"rejects_a_version_without_minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", err(parse_error::bad_version)},
  {"rejects_a_version_with_leading_zeros", "GET / HTTP/01.01\r\nHost: a\r\n\r\n", err(parse_error::bad_version)},
  {"rejects_a_space_inside_the_version", "GET / HTTP/ 1.1\r\nHost: a\r\n\r\n", err(parse_error::bad_version)},
  {"rejects_a_space_after_the_version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", err(parse_error::bad_version)},
  // Host.
  {"rejects_http11_without_host", "GET / HTTP/1.1\r\n\r\n", err(parse_error::missing_host)},
  {"rejects_two_different_hosts", get("Host: other.example\r\n"), err(parse_error::duplicate_host)},
  {"rejects_two_identical_hosts", get(H), err(parse_error::duplicate_host)},
  {"rejects_an_empty_host", "GET / HTTP/1.1\r\nHost: \r\n\r\n", err(parse_error::bad_host)},
  {"rejects_userinfo_in_host", "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", err(parse_error::bad_host)},
  {"rejects_a_path_in_host", "GET / HTTP/1.1\r\nHost: a/path\r\n\r\n", err(parse_error::bad_host)},
  {"rejects_a_host_list", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", err(parse_error::bad_host)},
  {"rejects_a_host_port_out_of_range", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", err(parse_error::bad_host)},
  {"rejects_a_bad_ipv6_host", "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", err(parse_error::bad_host)},
  // Content-Length.
  {"rejects_content_length_with_a_sign", post("Content-Length: +5\r\n", "hello"), err(parse_error::bad_content_length)},
  {"rejects_a_negative_content_length", post("Content-Length: -1\r\n"), err(parse_error::bad_content_length)},
  {"rejects_content_length_minus_zero", post("Content-Length: -0\r\n"), err(parse_error::bad_content_length)},
  {"rejects_a_hex_content_length", post("Content-Length: 0x5\r\n", "hello"), err(parse_error::bad_content_length)},
  {"rejects_an_octal_content_length", post("Content-Length: 0o5\r\n", "hello"), err(parse_error::bad_content_length)},
  {"rejects_a_non_numeric_content_length", post("Content-Length: abc\r\n"), err(parse_error::bad_content_length)},
  {"rejects_a_space_inside_content_length", post("Content-Length: 1 2\r\n", "hello12345"), err(parse_error::bad_content_length)},
  {"rejects_an_underscore_inside_content_length", post("Content-Length: 1_0\r\n"), err(parse_error::bad_content_length)},
  {"rejects_a_digit_suffix_in_content_length", post("Content-Length: 5x\r\n"), err(parse_error::bad_content_length)},
  {"rejects_an_empty_content_length", post("Content-Length: \r\n"), err(parse_error::bad_content_length)},
  {"rejects_leading_zeros_in_content_length", post("Content-Length: 005\r\n", "hello"), err(parse_error::bad_content_length)},
  {"rejects_content_length_double_zero", post("Content-Length: 00\r\n"), err(parse_error::bad_content_length)},
  {"rejects_a_trailing_space_after_content_length", post("Content-Length: 5 \r\n", "hello"), err(parse_error::bad_content_length)},
  {"rejects_two_spaces_before_content_length", post("Content-Length:  5\r\n", "hello"), err(parse_error::bad_content_length)},
  {"rejects_a_tab_before_content_length", post("Content-Length:\t5\r\n", "hello"), err(parse_error::bad_content_length)},
  {"rejects_a_content_length_list_of_equal_values", post("Content-Length: 5, 5\r\n", "hello"), err(parse_error::duplicate_content_length)},
  {"rejects_a_content_length_list_of_three", post("Content-Length: 5, 5, 5\r\n", "hello"), err(parse_error::duplicate_content_length)},
  {"rejects_a_content_length_list_of_different_values", post("Content-Length: 5, 10\r\n", "hello"), err(parse_error::duplicate_content_length)},
  {"rejects_a_malformed_content_length_list", post("Content-Length: 5,\r\n"), err(parse_error::bad_content_length)},
  {"rejects_differing_content_length_fields", post("Content-Length: 5\r\nContent-Length: 10\r\n", "helloworld"), err(parse_error::duplicate_content_length)},
  {"rejects_identical_content_length_fields", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), err(parse_error::duplicate_content_length)},
  {"rejects_a_content_length_beyond_64_bits", post("Content-Length: 99999999999999999999\r\n"), err(parse_error::content_length_overflow)},
  {"rejects_content_length_max_plus_one", post("Content-Length: 18446744073709551616\r\n"), err(parse_error::content_length_overflow)},
  // Transfer-Encoding.
  {"rejects_content_length_then_transfer_encoding", post("Content-Length: 23\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), err(parse_error::te_and_cl)},
  {"rejects_transfer_encoding_then_content_length", post("Transfer-Encoding: chunked\r\nContent-Length: 30\r\n", "0\r\n\r\n"), err(parse_error::te_and_cl)},
  {"rejects_chunked_then_identity", post("Transfer-Encoding: chunked, identity\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_chunked_not_final", post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_chunked_twice", post("Transfer-Encoding: chunked, chunked\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_chunked_twice_across_fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_chunked_then_identity_across_fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_chunkedchunked_as_unknown", post("Transfer-Encoding: chunkedchunked\r\n"), err(parse_error::unknown_transfer_coding)},
  {"rejects_xchunked_as_unknown", post("Transfer-Encoding: xchunked\r\n"), err(parse_error::unknown_transfer_coding)},
  {"rejects_gzip_as_unknown", post("Transfer-Encoding: gzip\r\n"), err(parse_error::unknown_transfer_coding)},
  {"rejects_identity_as_unknown", post("Transfer-Encoding: identity\r\n"), err(parse_error::unknown_transfer_coding)},
  {"rejects_gzip_before_chunked_as_unknown", post("Transfer-Encoding: gzip, chunked\r\n"), err(parse_error::unknown_transfer_coding)},
  {"rejects_an_empty_transfer_encoding", post("Transfer-Encoding: \r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_a_leading_comma_in_transfer_encoding", post("Transfer-Encoding: , chunked\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_a_trailing_comma_in_transfer_encoding", post("Transfer-Encoding: chunked,\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_parameters_on_chunked", post("Transfer-Encoding: chunked;ext=val\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_a_trailing_space_after_chunked", post("Transfer-Encoding: chunked \r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_a_tab_before_chunked", post("Transfer-Encoding:\tchunked\r\n"), err(parse_error::bad_transfer_encoding)},
  {"rejects_transfer_encoding_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", err(parse_error::transfer_encoding_in_http10)},
};
// clang-format on

class request_cases : public ::testing::TestWithParam<request_case> {
 protected:
  static test::guard_page& arena(int i) {
    static test::guard_page pages[2];
    return pages[i];
  }
  std::array<header, 32> fields_{};
};

// The head's views must lie inside the buffer they were parsed from.
bool inside(std::string_view part, std::string_view buffer) {
  return part.empty() ||
         (part.data() >= buffer.data() && part.data() + part.size() <= buffer.data() + buffer.size());
}

void check(const request_parser& p, parse_status st, const request_case& c, std::string_view buffer) {
  ASSERT_EQ(st.state, c.want.state) << "error: " << to_string(st.error);
  EXPECT_EQ(st.error, c.want.error);
  if (!st.complete()) return;
  EXPECT_EQ(st.consumed, c.input.find("\r\n\r\n") + 4);
  const request_head& h = p.head();
  EXPECT_EQ(h.body.kind, c.want.body);
  EXPECT_EQ(h.body.length, c.want.length);
  EXPECT_EQ(h.keep_alive, c.want.keep_alive);
  EXPECT_EQ(h.method, std::string_view(c.input).substr(0, h.method.size()));
  EXPECT_TRUE(inside(h.method, buffer) && inside(h.target, buffer) && inside(h.parts.path, buffer));
  for (const header& f : h.headers) EXPECT_TRUE(inside(f.name, buffer) && inside(f.value, buffer));
}

TEST_P(request_cases, parses_the_whole_input) {
  const request_case& c = GetParam();
  request_parser p(fields_, c.limits);
  const std::string_view buffer = arena(0).place(c.input);
  check(p, p.parse(buffer), c, buffer);
  EXPECT_EQ(p.parse(buffer), p.status()) << "the outcome is kept";
}

TEST_P(request_cases, parses_one_byte_at_a_time) {
  const request_case& c = GetParam();
  request_parser p(fields_, c.limits);
  parse_status st;
  std::string_view buffer;
  std::size_t k = 0;
  for (; k <= c.input.size(); ++k) {
    buffer = arena(static_cast<int>(k % 2)).place(std::string_view(c.input).substr(0, k));
    st = p.parse(buffer);
    if (!st.incomplete()) break;
  }
  check(p, st, c, buffer);
  if (st.complete()) {
    EXPECT_EQ(k, st.consumed) << "completes on the head's last byte";
  }
}

TEST_P(request_cases, parses_split_in_two_at_every_position) {
  const request_case& c = GetParam();
  for (std::size_t k = 0; k <= c.input.size(); ++k) {
    SCOPED_TRACE("split at " + std::to_string(k));
    request_parser p(fields_, c.limits);
    const std::string_view first = arena(0).place(std::string_view(c.input).substr(0, k));
    const parse_status st = p.parse(first);
    if (!st.incomplete()) {
      check(p, st, c, first);
      EXPECT_EQ(p.parse(arena(1).place(c.input)), st);
      continue;
    }
    const std::string_view whole = arena(1).place(c.input);
    check(p, p.parse(whole), c, whole);
  }
}

INSTANTIATE_TEST_SUITE_P(table, request_cases, ::testing::ValuesIn(cases),
                         [](const auto& info) { return info.param.name; });

// Named fields of the head, beyond the table's framing checks.

TEST(request_parser, exposes_method_target_version_and_fields) {
  std::array<header, 8> fields{};
  request_parser p(fields);
  const std::string_view in = "PUT /a/b?x=1&y HTTP/1.0\r\nHost: example.com:8080\r\nX-A:  v  \r\n\r\n";
  ASSERT_TRUE(p.parse(in).complete());
  const request_head& h = p.head();
  EXPECT_EQ(h.method, "PUT");
  EXPECT_EQ(h.target, "/a/b?x=1&y");
  EXPECT_EQ(h.parts.form, target_form::origin);
  EXPECT_EQ(h.parts.path, "/a/b");
  EXPECT_EQ(h.parts.query, "x=1&y");
  EXPECT_EQ(h.version, http_version::http_1_0);
  EXPECT_EQ(h.host, "example.com:8080");
  ASSERT_EQ(h.headers.size(), 2u);
  EXPECT_EQ(h.headers[1].name, "X-A");
  EXPECT_EQ(h.headers[1].value, "v");
}

TEST(request_parser, exposes_the_parts_of_an_absolute_target_found_in_an_earlier_buffer) {
  std::array<header, 8> fields{};
  request_parser p(fields);
  const std::string whole = "GET http://Example.com:81/p?q HTTP/1.1\r\nHost: example.com:81\r\n\r\n";
  std::string first = whole.substr(0, 45);
  ASSERT_TRUE(p.parse(first).incomplete());
  first.assign(first.size(), '!');  // the earlier buffer is gone
  ASSERT_TRUE(p.parse(whole).complete());
  EXPECT_EQ(p.head().parts.form, target_form::absolute);
  EXPECT_EQ(p.head().parts.authority, "Example.com:81");
  EXPECT_EQ(p.head().parts.path, "/p");
  EXPECT_EQ(p.head().parts.query, "q");
}

TEST(request_parser, exposes_asterisk_and_authority_forms) {
  std::array<header, 8> fields{};
  request_parser p(fields);
  ASSERT_TRUE(p.parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").complete());
  EXPECT_EQ(p.head().parts.form, target_form::asterisk);
  p.reset();
  ASSERT_TRUE(p.parse("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n").complete());
  EXPECT_EQ(p.head().parts.form, target_form::authority);
  EXPECT_EQ(p.head().parts.authority, "a:443");
}

TEST(request_parser, parses_pipelined_requests_after_reset) {
  std::array<header, 8> fields{};
  request_parser p(fields);
  std::string_view in = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
  const parse_status first = p.parse(in);
  ASSERT_TRUE(first.complete());
  EXPECT_EQ(p.head().target, "/1");
  in.remove_prefix(first.consumed);
  p.reset();
  ASSERT_TRUE(p.parse(in).complete());
  EXPECT_EQ(p.head().target, "/2");
}

TEST(request_parser, checks_each_host_of_a_keep_alive_connection_after_a_valid_one) {
  // The parser remembers the last Host it found valid: the same bytes pass, others are checked.
  std::array<header, 8> fields{};
  request_parser p(fields);
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(p.parse("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n").complete());
    EXPECT_EQ(p.head().host, "127.0.0.1:8080");
    p.reset();
  }
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: 127.0.0.1:80800\r\n\r\n").error, parse_error::bad_host);
  p.reset();
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: user@127.0.0.1:8080\r\n\r\n").error, parse_error::bad_host);
  p.reset();
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nHost: 127.0.0.1:8080\r\n\r\n").error,
            parse_error::duplicate_host);
  p.reset();
  EXPECT_EQ(p.parse("GET http://other:1/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n").error,
            parse_error::host_mismatch);
  p.reset();
  ASSERT_TRUE(p.parse("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n").complete());
}

TEST(request_parser, bounds_fields_by_the_callers_span) {
  std::array<header, 1> fields{};
  request_parser p(fields);
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n").error, parse_error::too_many_headers);
}

}  // namespace
}  // namespace barrage::http
