#include "http/request_target.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "printers.hpp"

namespace barrage::http {
namespace {

struct target_case {
  const char* name;
  std::string_view method, target;
  parse_error want;
  target_form form = target_form::origin;
  std::string_view authority = {}, path = {}, query = {};
};

// clang-format off
const std::vector<target_case> cases = {
  {"root", "GET", "/", parse_error::none, target_form::origin, "", "/", ""},
  {"path_and_query", "GET", "/a/b?c=d?e", parse_error::none, target_form::origin, "", "/a/b", "c=d?e"},
  {"empty_query", "GET", "/a?", parse_error::none, target_form::origin, "", "/a", ""},
  {"encoded_bytes_in_path", "GET", "/%41%7e", parse_error::none, target_form::origin, "", "/%41%7e", ""},
  {"encoded_control_in_query", "GET", "/?x=%00", parse_error::none, target_form::origin, "", "/", "x=%00"},
  {"absolute", "GET", "http://h:8/p?q", parse_error::none, target_form::absolute, "h:8", "/p", "q"},
  {"absolute_https_upper", "GET", "HTTPS://h", parse_error::none, target_form::absolute, "h", "", ""},
  {"absolute_query_only", "GET", "http://h?q", parse_error::none, target_form::absolute, "h", "", "q"},
  {"absolute_ipv6", "GET", "http://[::1]:80/", parse_error::none, target_form::absolute, "[::1]:80", "/", ""},
  {"asterisk", "OPTIONS", "*", parse_error::none, target_form::asterisk},
  {"authority", "CONNECT", "h:443", parse_error::none, target_form::authority, "h:443"},
  {"empty", "GET", "", parse_error::bad_target},
  {"asterisk_for_get", "GET", "*", parse_error::asterisk_without_options},
  {"encoded_nul_in_path", "GET", "/a%00", parse_error::bad_target},
  {"encoded_del_in_path", "GET", "/a%7F", parse_error::bad_target},
  {"percent_at_end", "GET", "/a%", parse_error::bad_target},
  {"fragment", "GET", "/a#b", parse_error::bad_target},
  {"quote", "GET", "/\"", parse_error::bad_target},
  {"nul", "GET", std::string_view("/a\0", 3), parse_error::nul_byte},
  {"bare_cr", "GET", "/a\r", parse_error::bare_cr},
  {"scheme_only", "GET", "http://", parse_error::bad_target},
  {"userinfo", "GET", "http://u@h/", parse_error::bad_target},
  {"other_scheme", "GET", "file:///etc/passwd", parse_error::bad_target},
  {"connect_origin", "CONNECT", "/", parse_error::bad_target},
  {"connect_no_port", "CONNECT", "h", parse_error::bad_target},
};
// clang-format on

TEST(request_target, splits_and_validates_targets) {
  for (const target_case& c : cases) {
    SCOPED_TRACE(c.name);
    request_target t;
    ASSERT_EQ(parse_request_target(c.method, c.target, t), c.want);
    if (c.want != parse_error::none) continue;
    EXPECT_EQ(t.form, c.form);
    EXPECT_EQ(t.authority, c.authority);
    EXPECT_EQ(t.path, c.path);
    EXPECT_EQ(t.query, c.query);
  }
}

}  // namespace
}  // namespace barrage::http
