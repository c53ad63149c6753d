#include "http/request_template.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <vector>

#include "http/body_reader.hpp"
#include "http/request_parser.hpp"

namespace barrage::http {
namespace {

request_template make(const request_spec& spec) {
  auto t = request_template::make(spec);
  if (!t) {
    ADD_FAILURE() << to_string(t.error());
    std::abort();
  }
  return std::move(t).value();
}

TEST(request_template, formats_a_get_without_content_length) {
  const auto t = make({.method = "GET", .target = "/x?y=1", .host = "example.com"});
  EXPECT_EQ(t.bytes(), "GET /x?y=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

TEST(request_template, formats_fields_in_order_and_the_body_with_its_length) {
  const std::array<header, 2> fields{{{"Accept", "*/*"}, {"X-Id", "7"}}};
  const auto t = make({.method = "POST", .target = "/api", .host = "h:8080", .headers = fields,
                       .body = "{\"a\":1}"});
  EXPECT_EQ(t.bytes(),
            "POST /api HTTP/1.1\r\nHost: h:8080\r\nAccept: */*\r\nX-Id: 7\r\n"
            "Content-Length: 7\r\n\r\n{\"a\":1}");
}

TEST(request_template, sends_content_length_zero_for_an_empty_post) {
  const auto t = make({.method = "POST", .target = "/", .host = "h"});
  EXPECT_EQ(t.bytes(), "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
}

TEST(request_template, sends_content_length_for_a_get_with_a_body) {
  const auto t = make({.method = "GET", .target = "/", .host = "h", .body = "abc"});
  EXPECT_EQ(t.bytes(), "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
}

TEST(request_template, produces_bytes_its_own_strict_parser_accepts) {
  const std::array<header, 1> fields{{{"User-Agent", "barrage"}}};
  const auto t = make({.method = "PUT", .target = "/r", .host = "[::1]:81", .headers = fields, .body = "xyz"});
  std::array<header, 8> parsed{};
  request_parser p(parsed);
  const parse_status st = p.parse(t.bytes());
  ASSERT_TRUE(st.complete()) << to_string(st.error);
  EXPECT_EQ(p.head().method, "PUT");
  EXPECT_EQ(p.head().host, "[::1]:81");
  EXPECT_EQ(p.head().body, (body_framing{body_kind::content_length, 3}));
  EXPECT_EQ(t.bytes().substr(st.consumed), "xyz");
}

TEST(request_template, renders_another_body_and_extra_fields_behind_the_same_prefix) {
  const std::array<header, 1> fields{{{"A", "1"}}};
  const auto t = make({.method = "POST", .target = "/", .host = "h", .headers = fields, .body = "old"});
  const std::array<header, 1> extra{{{"X-Seq", "42"}}};
  std::string out = "garbage";
  ASSERT_TRUE(t.render(out, "new body", extra));
  EXPECT_EQ(out, "POST / HTTP/1.1\r\nHost: h\r\nA: 1\r\nX-Seq: 42\r\nContent-Length: 8\r\n\r\nnew body");
  ASSERT_TRUE(t.render(out, ""));
  EXPECT_EQ(out, "POST / HTTP/1.1\r\nHost: h\r\nA: 1\r\nContent-Length: 0\r\n\r\n");
}

struct bad_spec {
  const char* name;
  request_spec spec;
  template_error want;
};

const std::array<header, 1> crlf_value{{{"X", "a\r\nInjected: 1"}}};
const std::array<header, 1> space_name{{{"X Y", "1"}}};
const std::array<header, 1> content_length{{{"content-length", "5"}}};
const std::array<header, 1> host_field{{{"Host", "x"}}};
const std::array<header, 1> te_field{{{"Transfer-Encoding", "chunked"}}};

TEST(request_template, rejects_what_it_cannot_send_safely) {
  const std::vector<bad_spec> cases = {
      {"method_with_space", {.method = "GE T", .host = "h"}, template_error::bad_method},
      {"empty_method", {.method = "", .host = "h"}, template_error::bad_method},
      {"target_with_space", {.target = "/a b", .host = "h"}, template_error::bad_target},
      {"target_with_crlf", {.target = "/a\r\nX: y", .host = "h"}, template_error::bad_target},
      {"relative_target", {.target = "a", .host = "h"}, template_error::bad_target},
      {"empty_host", {.host = ""}, template_error::bad_host},
      {"host_with_path", {.host = "h/x"}, template_error::bad_host},
      {"value_with_crlf", {.host = "h", .headers = crlf_value}, template_error::bad_header_value},
      {"name_with_space", {.host = "h", .headers = space_name}, template_error::bad_header_name},
      {"own_content_length", {.host = "h", .headers = content_length}, template_error::reserved_header},
      {"own_host", {.host = "h", .headers = host_field}, template_error::reserved_header},
      {"own_transfer_encoding", {.host = "h", .headers = te_field}, template_error::reserved_header},
  };
  for (const bad_spec& c : cases) {
    const auto t = request_template::make(c.spec);
    ASSERT_FALSE(t) << c.name;
    EXPECT_EQ(t.error(), c.want) << c.name;
    EXPECT_NE(std::string(to_string(t.error())), "") << c.name;
  }
}

TEST(request_template, rejects_bad_extra_fields_when_rendering) {
  const auto t = make({.host = "h"});
  std::string out;
  const auto r = t.render(out, "", crlf_value);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), template_error::bad_header_value);
}

}  // namespace
}  // namespace barrage::http
