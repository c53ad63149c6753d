#include "loadgen/redact.hpp"

#include <gtest/gtest.h>

#include <string>

#include "loadgen/body_summary.hpp"

namespace barrage::loadgen {
namespace {

// The marker for a value, computed independently of redacted().
std::string marker(std::string_view value) {
  return "<redacted, " + std::to_string(value.size()) + " bytes, sha256:" + sha256_hex(value).substr(0, 8) + ">";
}

TEST(redacted, keeps_the_size_and_eight_hex_digits_of_the_sha256) {
  // SHA-256("abc") = ba7816bf8f01cfea...
  EXPECT_EQ(redacted("abc"), "<redacted, 3 bytes, sha256:ba7816bf>");
  EXPECT_EQ(redacted(""), "<redacted, 0 bytes, sha256:e3b0c442>");
  EXPECT_NE(redacted("token-1"), redacted("token-2"));  // two runs can be told apart
}

struct name_case {
  const char* name;
  const char* field;
  bool secret;
};
const name_case name_cases[] = {
    {"authorization", "Authorization", true},
    {"authorization_any_case", "aUtHoRiZaTiOn", true},
    {"proxy_authorization", "Proxy-Authorization", true},
    {"cookie", "Cookie", true},
    {"set_cookie", "Set-Cookie", true},
    {"x_api_key", "X-Api-Key", true},
    {"api_key", "Api-Key", true},
    {"x_auth_token", "X-Auth-Token", true},
    {"x_vault_token", "X-Vault-Token", true},
    {"private_token", "PRIVATE-TOKEN", true},
    {"x_amz_security_token", "X-Amz-Security-Token", true},
    {"x_session_id", "X-Session-Id", true},
    {"query_access_token", "access_token", true},
    {"query_key", "key", true},
    {"query_password", "password", true},
    {"query_client_secret", "client_secret", true},
    {"query_signature", "X-Amz-Signature", true},
    {"accept", "Accept", false},
    {"content_type", "Content-Type", false},
    {"user_agent", "User-Agent", false},
    {"x_request_id", "X-Request-Id", false},
    {"author_is_not_auth", "author", false},
    {"keyword_is_not_key", "keyword", false},
    {"empty", "", false},
};
class secret_name : public ::testing::TestWithParam<name_case> {};
TEST_P(secret_name, is_recognised_by_the_default_list) {
  EXPECT_EQ(is_secret_name(GetParam().field), GetParam().secret) << GetParam().field;
}
INSTANTIATE_TEST_SUITE_P(redact, secret_name, ::testing::ValuesIn(name_cases),
                         [](const auto& info) { return std::string(info.param.name); });

struct line_case {
  const char* name;
  const char* line;
  std::string want;  // "" means: unchanged
};
const redaction_policy custom{false, {"X-Custom"}};
const line_case line_cases[] = {
    {"bearer_token", "Authorization: Bearer s3cr3t-token", "Authorization: " + marker("Bearer s3cr3t-token")},
    {"no_space_after_colon", "Cookie:sid=abc123", "Cookie: " + marker("sid=abc123")},
    {"tabs_and_spaces_before_the_value", "X-Api-Key: \t k3y", "X-Api-Key: " + marker("k3y")},
    {"empty_value", "Authorization:", "Authorization: " + marker("")},
    {"value_with_colons", "Authorization: a:b:c", "Authorization: " + marker("a:b:c")},
    {"redact_header_any_case", "x-custom: value", "x-custom: " + marker("value")},
    {"ordinary_header_stays", "Accept: application/json", ""},
    {"no_colon_stays", "not a header", ""},
};
class header_line : public ::testing::TestWithParam<line_case> {};
TEST_P(header_line, keeps_the_name_and_redacts_a_secret_value) {
  const auto& c = GetParam();
  EXPECT_EQ(custom.header_line(c.line), c.want.empty() ? std::string(c.line) : c.want);
}
INSTANTIATE_TEST_SUITE_P(redact, header_line, ::testing::ValuesIn(line_cases),
                         [](const auto& info) { return std::string(info.param.name); });

const line_case url_cases[] = {
    {"plain_url_stays", "http://127.0.0.1:8080/a?b=c", ""},
    {"password_redacted_user_kept", "http://alice:pa55@example.com/", "http://alice:" + marker("pa55") + "@example.com/"},
    {"user_without_password_stays", "http://alice@example.com/", ""},
    {"empty_password", "http://alice:@h/", "http://alice:" + marker("") + "@h/"},
    {"last_at_ends_the_userinfo", "http://a:b@c@h:80", "http://a:" + marker("b@c") + "@h:80"},
    {"at_in_the_path_is_not_userinfo", "http://h/users/@me", ""},
    {"secret_query_values", "https://h/x?token=abc&page=2&API_KEY=k",
     "https://h/x?token=" + marker("abc") + "&page=2&API_KEY=" + marker("k")},
    {"query_and_fragment", "http://h/?password=pw#frag", "http://h/?password=" + marker("pw") + "#frag"},
    {"parameter_without_value_stays", "http://h/?token&x=", ""},
    {"both", "http://u:p@h/?secret=s", "http://u:" + marker("p") + "@h/?secret=" + marker("s")},
    {"not_a_url_still_redacted", "u:p@h/x y", "u:" + marker("p") + "@h/x y"},
};
class url_redaction : public ::testing::TestWithParam<line_case> {};
TEST_P(url_redaction, hides_the_password_and_secret_parameters) {
  const auto& c = GetParam();
  EXPECT_EQ(redaction_policy{}.url(c.line), c.want.empty() ? std::string(c.line) : c.want);
}
INSTANTIATE_TEST_SUITE_P(redact, url_redaction, ::testing::ValuesIn(url_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(redaction_policy, show_secrets_leaves_everything_as_given) {
  const redaction_policy shown{true, {"X-Custom"}};
  EXPECT_EQ(shown.header_line("Authorization: Bearer t"), "Authorization: Bearer t");
  EXPECT_EQ(shown.url("http://u:p@h/?token=t"), "http://u:p@h/?token=t");
  EXPECT_EQ(shown.body_prefix("a\nb"), "a\\x0ab");
}

TEST(redaction_policy, a_body_is_its_size_and_hash_unless_secrets_are_shown) {
  const std::string body = "password=hunter2";
  EXPECT_EQ(redaction_policy{}.body_prefix(body), marker(body));
  EXPECT_EQ(redaction_policy{}.body_prefix(""), "");
  const redaction_policy shown{true, {}};
  EXPECT_EQ(shown.body_prefix(std::string(100, 'x')), std::string(prefix_bytes, 'x'));
}

struct parse_case {
  const char* name;
  const char* text;
  bool ok;
};
const parse_case redact_header_cases[] = {
    {"token_name", "X-Custom", true},
    {"lower_case", "x-custom", true},
    {"punctuation_allowed_in_tokens", "X!#$%&'*+-.^_`|~1", true},
    {"empty", "", false},
    {"space", "X Custom", false},
    {"colon", "X-Custom:", false},
    {"control_byte", "X\x01", false},
};
class redact_header_option : public ::testing::TestWithParam<parse_case> {};
TEST_P(redact_header_option, is_a_header_name) {
  const auto& c = GetParam();
  auto r = parse_redact_header(c.text);
  ASSERT_EQ(r.ok(), c.ok) << (r ? *r : r.error());
  if (c.ok) {
    EXPECT_EQ(*r, c.text);
  } else {
    EXPECT_TRUE(r.error().starts_with("bad header name \"")) << r.error();
    EXPECT_EQ(r.error().find('\x01'), std::string::npos);
  }
}
INSTANTIATE_TEST_SUITE_P(redact, redact_header_option, ::testing::ValuesIn(redact_header_cases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace barrage::loadgen
