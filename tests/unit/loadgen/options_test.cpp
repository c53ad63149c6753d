#include "loadgen/options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/option_values.hpp"

namespace barrage::loadgen {
namespace {

using namespace std::chrono;

// Every error is one line that quotes the text as typed.
void expect_one_line_quoting(const std::string& error, std::string_view quoted) {
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_EQ(error.find('\0'), std::string::npos) << error;
  EXPECT_NE(error.find(quoted), std::string::npos) << error << " does not quote " << quoted;
}

// ---------------------------------------------------------------------------------------------
// Whole numbers: -c, -t, --pipeline, --retries, -n

using unsigned_parser = result<unsigned, std::string> (*)(std::string_view);
struct unsigned_case {
  const char* name;
  unsigned_parser parse;
  const char* text;
  bool ok;
  unsigned value;         // when ok
  const char* reason;     // a part of the error when not ok
};
const unsigned_case unsigned_cases[] = {
    {"connections_plain", parse_connections, "50", true, 50, ""},
    {"connections_with_suffix", parse_connections, "10k", true, 10'000, ""},
    {"connections_at_the_limit", parse_connections, "10M", true, 10'000'000, ""},
    {"connections_empty", parse_connections, "", false, 0, "empty"},
    {"connections_negative", parse_connections, "-1", false, 0, "negative"},
    {"connections_zero", parse_connections, "0", false, 0, "between 1 and 10000000"},
    {"connections_above_32_bits", parse_connections, "4294967297", false, 0, "between 1 and 10000000"},
    {"connections_beyond_64_bits", parse_connections, "99999999999999999999", false, 0, "too large"},
    {"connections_trailing_garbage", parse_connections, "10x", false, 0, "unknown unit \"x\""},
    {"connections_fraction", parse_connections, "1.5", false, 0, "not a whole number"},
    {"connections_duration_unit", parse_connections, "10s", false, 0, "unknown unit \"s\""},
    {"threads_one", parse_threads, "1", true, 1, ""},
    {"threads_at_the_limit", parse_threads, "1024", true, 1024, ""},
    {"threads_zero_is_refused", parse_threads, "0", false, 0, "between 1 and 1024"},
    {"threads_above_the_limit", parse_threads, "1025", false, 0, "between 1 and 1024"},
    {"threads_empty", parse_threads, "", false, 0, "empty"},
    {"threads_negative", parse_threads, "-2", false, 0, "negative"},
    {"threads_trailing_garbage", parse_threads, "4 cores", false, 0, "unknown unit"},
    {"pipeline_one", parse_pipeline, "1", true, 1, ""},
    {"pipeline_sixteen", parse_pipeline, "16", true, 16, ""},
    {"pipeline_at_the_limit", parse_pipeline, "1024", true, 1024, ""},
    {"pipeline_zero_is_refused", parse_pipeline, "0", false, 0, "between 1 and 1024"},
    {"pipeline_above_the_limit", parse_pipeline, "1025", false, 0, "between 1 and 1024"},
    {"pipeline_ten_million", parse_pipeline, "10000000", false, 0, "between 1 and 1024"},
    {"pipeline_beyond_64_bits", parse_pipeline, "18446744073709551616", false, 0, "too large"},
    {"pipeline_negative", parse_pipeline, "-1", false, 0, "negative"},
    {"pipeline_empty", parse_pipeline, "", false, 0, "empty"},
    {"pipeline_trailing_garbage", parse_pipeline, "8,", false, 0, "unknown unit"},
    {"retries_zero", parse_retries, "0", true, 0, ""},
    {"retries_three", parse_retries, "3", true, 3, ""},
    {"retries_at_the_limit", parse_retries, "100", true, 100, ""},
    {"retries_above_the_limit", parse_retries, "101", false, 0, "between 0 and 100"},
    {"retries_negative", parse_retries, "-1", false, 0, "negative"},
    {"retries_empty", parse_retries, "", false, 0, "empty"},
    {"retries_wrong_unit", parse_retries, "3ms", false, 0, "unknown unit"},
};

class unsigned_option : public ::testing::TestWithParam<unsigned_case> {};
TEST_P(unsigned_option, is_a_whole_number_within_its_bounds) {
  const auto& c = GetParam();
  auto r = c.parse(c.text);
  ASSERT_EQ(r.ok(), c.ok) << (r ? std::to_string(*r) : r.error());
  if (c.ok) {
    EXPECT_EQ(*r, c.value);
  } else {
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << r.error();
    expect_one_line_quoting(r.error(), "\"" + std::string(c.text) + "\"");
  }
}
INSTANTIATE_TEST_SUITE_P(options, unsigned_option, ::testing::ValuesIn(unsigned_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(request_count, is_at_least_one_and_takes_suffixes) {
  EXPECT_EQ(*parse_request_count("1"), 1u);
  EXPECT_EQ(*parse_request_count("1.5m"), 1'500'000u);
  EXPECT_EQ(*parse_request_count("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "0", "-1", "18446744073709551616", "10x", "1.5", "5s"}) {
    auto r = parse_request_count(bad);
    ASSERT_FALSE(r.ok()) << bad;
    expect_one_line_quoting(r.error(), "\"" + std::string(bad) + "\"");
  }
}

// ---------------------------------------------------------------------------------------------
// Durations: -d, --timeout, --connect-timeout, --warmup, --grace, --dns-ttl, --retry-backoff

using duration_parser = result<duration, std::string> (*)(std::string_view);
struct duration_case {
  const char* name;
  duration_parser parse;
  const char* text;
  bool ok;
  duration value;
  const char* reason;
};
const duration_case duration_cases[] = {
    {"run_time_seconds", parse_run_time, "10s", true, 10s, ""},
    {"run_time_bare_number_is_seconds", parse_run_time, "2", true, 2s, ""},
    {"run_time_a_year", parse_run_time, "8760h", true, 8760h, ""},
    {"run_time_zero", parse_run_time, "0", false, {}, "above 0"},
    {"run_time_zero_with_unit", parse_run_time, "0ms", false, {}, "above 0"},
    {"run_time_empty", parse_run_time, "", false, {}, "empty"},
    {"run_time_negative", parse_run_time, "-5s", false, {}, "negative"},
    {"run_time_above_a_year", parse_run_time, "8761h", false, {}, "at most 8760h"},
    {"run_time_beyond_64_bits", parse_run_time, "99999999999999999999s", false, {}, "too large"},
    {"run_time_trailing_garbage", parse_run_time, "10s!", false, {}, "unknown unit"},
    {"run_time_wrong_unit", parse_run_time, "10k", false, {}, "unknown unit \"k\""},
    {"timeout_seconds", parse_time_limit, "10s", true, 10s, ""},
    {"timeout_milliseconds", parse_time_limit, "250ms", true, 250ms, ""},
    {"timeout_zero_is_no_limit", parse_time_limit, "0", true, no_time_limit, ""},
    {"timeout_zero_seconds_is_no_limit", parse_time_limit, "0s", true, no_time_limit, ""},
    {"timeout_empty", parse_time_limit, "", false, {}, "empty"},
    {"timeout_negative", parse_time_limit, "-1", false, {}, "negative"},
    {"timeout_above_a_year", parse_time_limit, "9000h", false, {}, "at most 8760h"},
    {"timeout_beyond_64_bits", parse_time_limit, "18446744073709551616ms", false, {}, "too large"},
    {"timeout_trailing_garbage", parse_time_limit, "5s5", false, {}, "missing unit"},
    {"timeout_wrong_unit", parse_time_limit, "5MiB", false, {}, "unknown unit"},
    {"wait_zero", parse_wait, "0s", true, 0s, ""},
    {"wait_minutes", parse_wait, "1.5m", true, 90s, ""},
    {"wait_empty", parse_wait, "", false, {}, "empty"},
    {"wait_negative", parse_wait, "-1s", false, {}, "negative"},
    {"wait_above_a_year", parse_wait, "600000m", false, {}, "at most 8760h"},
    {"wait_wrong_unit", parse_wait, "3d", false, {}, "unknown unit \"d\""},
    {"backoff_default", parse_retry_backoff, "100ms", true, 100ms, ""},
    {"backoff_zero", parse_retry_backoff, "0", true, 0s, ""},
    {"backoff_an_hour", parse_retry_backoff, "1h", true, 1h, ""},
    {"backoff_above_an_hour", parse_retry_backoff, "61m", false, {}, "at most 1h"},
    {"backoff_negative", parse_retry_backoff, "-100ms", false, {}, "negative"},
    {"backoff_empty", parse_retry_backoff, "", false, {}, "empty"},
};

class duration_option : public ::testing::TestWithParam<duration_case> {};
TEST_P(duration_option, is_a_duration_within_its_bounds) {
  const auto& c = GetParam();
  auto r = c.parse(c.text);
  ASSERT_EQ(r.ok(), c.ok) << (r ? std::to_string(r->count()) : r.error());
  if (c.ok) {
    EXPECT_EQ(*r, c.value);
  } else {
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << r.error();
    expect_one_line_quoting(r.error(), "\"" + std::string(c.text) + "\"");
  }
}
INSTANTIATE_TEST_SUITE_P(options, duration_option, ::testing::ValuesIn(duration_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(no_time_limit, leaves_room_for_any_deadline_computed_from_now) {
  // now + limit must not overflow: the monotonic clock counts from boot.
  EXPECT_LT(no_time_limit, duration::max() / 2);
  EXPECT_GT(no_time_limit, max_option_duration);
}

// ---------------------------------------------------------------------------------------------
// -r and --ramp

TEST(request_rate, is_above_zero_and_at_most_a_hundred_million) {
  EXPECT_DOUBLE_EQ(*parse_request_rate("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_request_rate("10k"), 10'000);
  EXPECT_DOUBLE_EQ(*parse_request_rate("100M"), 100e6);
  for (const char* bad : {"", "0", "-1", "101M", "99999999999999999999", "10x", "10/s", "1e6"}) {
    auto r = parse_request_rate(bad);
    ASSERT_FALSE(r.ok()) << bad;
    expect_one_line_quoting(r.error(), "\"" + std::string(bad) + "\"");
  }
}

struct ramp_case {
  const char* name;
  const char* text;
  bool ok;
  std::vector<ramp_stage> stages;
  const char* reason;
};
const ramp_case ramp_cases[] = {
    {"one_stage", "10s:100", true, {{10s, 100}}, ""},
    {"up_hold_down", "10s:100,30s:2000,10s:0", true, {{10s, 100}, {30s, 2000}, {10s, 0}}, ""},
    {"rate_suffix_and_fraction", "1m:2.5k,500ms:0.5", true, {{60s, 2500}, {500ms, 0.5}}, ""},
    {"empty", "", false, {}, "empty"},
    {"stray_comma", "10s:100,", false, {}, "empty item"},
    {"no_colon", "10s", false, {}, "expected DURATION:TARGET"},
    {"zero_length", "0s:100", false, {}, "above 0"},
    {"negative_length", "-1s:100", false, {}, "negative"},
    {"negative_target", "10s:-5", false, {}, "negative"},
    {"target_beyond_64_bits", "10s:99999999999999999999", false, {}, "too large"},
    {"target_above_the_rate_limit", "10s:200M", false, {}, "at most 100M"},
    {"target_trailing_garbage", "10s:100x", false, {}, "unknown unit"},
    {"length_wrong_unit", "10k:100", false, {}, "unknown unit"},
    {"missing_target", "10s:", false, {}, "empty"},
};

class ramp_option : public ::testing::TestWithParam<ramp_case> {};
TEST_P(ramp_option, is_a_list_of_stages) {
  const auto& c = GetParam();
  auto r = parse_ramp(c.text);
  ASSERT_EQ(r.ok(), c.ok) << (r ? "accepted" : r.error());
  if (c.ok) {
    ASSERT_EQ(r->size(), c.stages.size());
    for (std::size_t i = 0; i < c.stages.size(); ++i) {
      EXPECT_EQ((*r)[i].length, c.stages[i].length);
      EXPECT_DOUBLE_EQ((*r)[i].target, c.stages[i].target);
    }
  } else {
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
  }
}
INSTANTIATE_TEST_SUITE_P(options, ramp_option, ::testing::ValuesIn(ramp_cases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// --success-status and --retry-on

struct status_case {
  const char* name;
  const char* text;
  bool ok;
  const char* canonical;  // format_statuses of the result
};
const status_case success_cases[] = {
    {"default", "200-399", true, "200-399"},
    {"one_status", "204", true, "204"},
    {"list", "200-299,404", true, "200-299,404"},
    {"class", "2xx", true, "200-299"},
    {"class_upper_case", "2XX", true, "200-299"},
    {"classes_merge", "2xx,3xx", true, "200-399"},
    {"every_status", "1xx,2xx,3xx,4xx,5xx", true, "100-599"},
    {"overlaps_merge", "200-250,240-260,404", true, "200-260,404"},
    {"edges", "100,599", true, "100,599"},
    {"empty", "", false, ""},
    {"stray_comma", "200,", false, ""},
    {"double_comma", "200,,404", false, ""},
    {"below_100", "99", false, ""},
    {"above_599", "600", false, ""},
    {"six_xx", "6xx", false, ""},
    {"zero_xx", "0xx", false, ""},
    {"half_class", "5x", false, ""},
    {"trailing_garbage", "503x", false, ""},
    {"leading_zero", "0200", false, ""},
    {"negative", "-200", false, ""},
    {"beyond_64_bits", "99999999999999999999", false, ""},
    {"reversed_range", "399-200", false, ""},
    {"open_range", "200-", false, ""},
    {"spaces", "200, 404", false, ""},
    {"wrapped_around_32_bits", "4294967497", false, ""},
};

class success_status_option : public ::testing::TestWithParam<status_case> {};
TEST_P(success_status_option, is_a_list_of_statuses_classes_and_ranges) {
  const auto& c = GetParam();
  auto r = parse_success_statuses(c.text);
  ASSERT_EQ(r.ok(), c.ok) << (r ? format_statuses(*r) : r.error());
  if (c.ok) {
    EXPECT_EQ(format_statuses(*r), c.canonical);
  } else {
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
    EXPECT_NE(r.error().find("\""), std::string::npos) << r.error();
  }
}
INSTANTIATE_TEST_SUITE_P(options, success_status_option, ::testing::ValuesIn(success_cases),
                         [](const auto& info) { return std::string(info.param.name); });

const status_case retry_cases[] = {
    {"one_status", "503", true, "503"},
    {"class_expands", "5xx", true, "500-599"},
    {"range", "502-504", true, "502-504"},
    {"kinds_keep_their_order", "reset,refused", true, "reset,refused"},
    {"statuses_then_kinds", "refused,503,502,timeout", true, "502-503,refused,timeout"},
    {"duplicates_once", "503,503,reset,reset", true, "503,reset"},
    {"every_kind", "dns,refused,connect_timeout,reset,closed_before_response,truncated_body,parse_error,"
                   "timeout_first_byte,timeout,too_many_open_files,io_error", true,
     "dns,refused,connect_timeout,reset,closed_before_response,truncated_body,parse_error,timeout_first_byte,"
     "timeout,too_many_open_files,io_error"},
    {"empty", "", false, ""},
    {"stray_comma", "503,", false, ""},
    {"beyond_64_bits", "99999999999999999999", false, ""},
    {"trailing_garbage", "503x", false, ""},
    {"half_class", "5x", false, ""},
    {"wrapped_around_32_bits", "4294967297", false, ""},
    {"five_digits", "99999", false, ""},
    {"below_100", "42", false, ""},
    {"negative", "-503", false, ""},
    {"unknown_kind", "oops", false, ""},
    {"none_is_not_a_kind", "none", false, ""},
    {"kind_in_upper_case", "RESET", false, ""},
};

class retry_on_option : public ::testing::TestWithParam<status_case> {};
TEST_P(retry_on_option, is_a_list_of_status_items_and_error_kinds) {
  const auto& c = GetParam();
  auto r = parse_retry_on(c.text);
  ASSERT_EQ(r.ok(), c.ok) << (r ? format_retry_on(*r) : r.error());
  if (c.ok) {
    EXPECT_EQ(format_retry_on(*r), c.canonical);
    auto again = parse_retry_on(format_retry_on(*r));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *r);
  } else {
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
    EXPECT_NE(r.error().find("\""), std::string::npos) << r.error();
  }
}
INSTANTIATE_TEST_SUITE_P(options, retry_on_option, ::testing::ValuesIn(retry_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(retry_on, a_class_retries_each_status_of_the_class) {
  auto r = parse_retry_on("5xx");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->statuses.size(), 100u);
  EXPECT_EQ(r->statuses.front(), 500u);
  EXPECT_EQ(r->statuses.back(), 599u);
  EXPECT_TRUE(r->errors.empty());
}

TEST(retry_on, an_unknown_item_names_the_error_kinds) {
  auto r = parse_retry_on("503,oops");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("\"oops\""), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("closed_before_response"), std::string::npos) << r.error();
}

// ---------------------------------------------------------------------------------------------
// -X, -H, the URL, --json, demo --path

struct text_case {
  const char* name;
  const char* text;
  bool ok;
  const char* reason;
};
const text_case method_cases[] = {
    {"get", "GET", true, ""},
    {"custom_token", "PURGE", true, ""},
    {"lower_case_token", "get", true, ""},
    {"empty", "", false, "empty"},
    {"space", "GET POST", false, "token"},
    {"newline", "GET\nX", false, "token"},
    {"slash", "GET/1", false, "token"},
};
class method_option : public ::testing::TestWithParam<text_case> {};
TEST_P(method_option, is_a_token) {
  const auto& c = GetParam();
  auto r = parse_method(c.text);
  ASSERT_EQ(r.ok(), c.ok) << (r ? *r : r.error());
  if (c.ok) {
    EXPECT_EQ(*r, c.text);
  } else {
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
  }
}
INSTANTIATE_TEST_SUITE_P(options, method_option, ::testing::ValuesIn(method_cases),
                         [](const auto& info) { return std::string(info.param.name); });

const text_case header_cases[] = {
    {"name_and_value", "Accept: application/json", true, ""},
    {"no_space_after_colon", "X-Id:42", true, ""},
    {"empty_value", "X-Empty:", true, ""},
    {"value_with_colons", "X-Time: 12:30:00", true, ""},
    {"empty", "", false, "Name: value"},
    {"no_colon", "bad header", false, "bad header \"bad ...\": expected \"Name: value\""},
    {"no_colon_secret_not_quoted", "Authorization Bearer s3cr3t", false, "bad header \"Authorization ...\""},
    {"empty_name", ": value", false, "Name: value"},
    {"space_in_name", "Bad Name: v", false, "token"},
    {"control_in_value", "X-A: a\rb", false, "control character"},
    {"value_never_quoted", "Authorization: Bearer s3cr3t\x01", false,
     "bad header \"Authorization\": the value contains a control character"},
    {"host_is_written_by_barrage", "Host: example.com", false, "written by barrage"},
    {"content_length_is_written_by_barrage", "Content-Length: 5", false, "written by barrage"},
};
class header_option : public ::testing::TestWithParam<text_case> {};
TEST_P(header_option, is_a_name_and_a_value) {
  const auto& c = GetParam();
  auto r = parse_header(c.text);
  ASSERT_EQ(r.ok(), c.ok) << (r ? *r : r.error());
  if (c.ok) {
    EXPECT_EQ(*r, c.text);
  } else {
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
    EXPECT_EQ(r.error().find('\r'), std::string::npos);
    EXPECT_EQ(r.error().find("s3cr3t"), std::string::npos) << r.error();
  }
}
INSTANTIATE_TEST_SUITE_P(options, header_option, ::testing::ValuesIn(header_cases),
                         [](const auto& info) { return std::string(info.param.name); });

const text_case url_cases[] = {
    {"host_and_port", "http://127.0.0.1:8080/", true, ""},
    {"name_path_query", "http://example.com/a/b?c=d", true, ""},
    {"ipv6", "http://[::1]:8080/", true, ""},
    {"https", "https://example.com/", true, ""},
    {"https_with_port", "https://127.0.0.1:8443/x", true, ""},
    {"user_and_password", "http://alice:s3cret@example.com/", true, ""},
    {"user_only", "http://alice@example.com/", true, ""},
    {"percent_encoded_password", "http://alice:p%40ss%2F@example.com/", true, ""},
    {"userinfo_with_a_bad_byte", "http://alice:a\"b@example.com/", false, "user information"},
    {"userinfo_bad_percent", "http://alice:a%zz@example.com/", false, "user information"},
    {"password_never_quoted", "http://alice:hunter2@example.com:0/", false,
     "bad URL \"http://alice:<redacted, 7 bytes, sha256:f52fbd32"},
    {"ftp_is_refused", "ftp://example.com/",
     false, "bad URL \"ftp://example.com/\": scheme \"ftp\" is not supported (http, https, ws or wss)"},
    {"no_scheme", "example.com:80", false, "must start with http:// or https://"},
    {"empty", "", false, "empty"},
    {"empty_host", "http:///", false, "no host"},
    {"port_zero", "http://example.com:0/", false, "between 1 and 65535"},
    {"port_too_large", "http://example.com:99999/", false, "between 1 and 65535"},
    {"port_beyond_64_bits", "http://example.com:99999999999999999999/", false, "port"},
    {"port_garbage", "http://example.com:80x/", false, "port"},
    {"space", "http://example.com/a b", false, "whitespace"},
};
class target_url : public ::testing::TestWithParam<text_case> {};
TEST_P(target_url, is_http_with_a_host_and_a_port) {
  const auto& c = GetParam();
  auto r = parse_target_url(c.text);
  ASSERT_EQ(r.ok(), c.ok) << (r ? "accepted" : r.error());
  if (!c.ok) {
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << r.error();
    EXPECT_TRUE(r.error().starts_with("bad URL \"")) << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
  }
}
INSTANTIATE_TEST_SUITE_P(options, target_url, ::testing::ValuesIn(url_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(target_url, quotes_control_bytes_instead_of_printing_them) {
  auto r = parse_target_url("http://example.com/\n\x01");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().find('\n'), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("\\x0a"), std::string::npos) << r.error();
}

TEST(report_path, is_a_file_name_or_a_dash) {
  EXPECT_EQ(*parse_report_path("-"), "-");
  EXPECT_EQ(*parse_report_path("out.json"), "out.json");
  EXPECT_FALSE(parse_report_path("").ok());
  EXPECT_FALSE(parse_report_path(std::string_view("a\0b", 3)).ok());
}

TEST(request_path, is_a_path_and_query_that_fits_in_a_url) {
  EXPECT_EQ(*parse_request_path("/delay/20ms"), "/delay/20ms");
  EXPECT_EQ(*parse_request_path("/jitter?median=5ms&p99=50ms"), "/jitter?median=5ms&p99=50ms");
  for (const char* bad : {"", "delay/20ms", "/a b", "/%zz"}) {
    auto r = parse_request_path(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.error().starts_with("bad path \"")) << r.error();
  }
}

}  // namespace
}  // namespace barrage::loadgen
