#include "server/response.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <stdexcept>

using namespace barrage;
using namespace barrage::server;

namespace {

constexpr std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";

std::string head_of(const response& r, render_options o = {}, body_framing_out* mode = nullptr) {
  if (o.date.empty()) o.date = date;
  std::string out;
  body_framing_out m = render_head(out, r, o);
  if (mode) *mode = m;
  return out;
}

}  // namespace

TEST(response, a_text_response_renders_status_date_type_and_length) {
  body_framing_out mode{};
  response r(200, "hello\n");
  EXPECT_EQ(head_of(r, {date, "barrage"}, &mode),
            "HTTP/1.1 200 OK\r\nServer: barrage\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n\r\n");
  EXPECT_EQ(mode, body_framing_out::inline_body);
  EXPECT_EQ(r.body(), "hello\n");
}

TEST(response, close_and_http10_keep_alive_are_spelled_out) {
  response r(404, "no\n");
  std::string h = head_of(r, {date, "", false, false, false});
  EXPECT_NE(h.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(h.find("Server:"), std::string::npos);
  h = head_of(r, {date, "", false, true, true});
  EXPECT_NE(h.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  response c(200, "x");
  c.close_connection();
  EXPECT_NE(head_of(c).find("Connection: close"), std::string::npos);
}

TEST(response, no_body_statuses_have_no_length_or_type) {
  for (int status : {204, 304}) {
    body_framing_out mode{};
    std::string h = head_of(response(status), {}, &mode);
    EXPECT_EQ(h.find("Content-Length"), std::string::npos) << status;
    EXPECT_EQ(h.find("Content-Type"), std::string::npos) << status;
    EXPECT_EQ(mode, body_framing_out::none);
  }
  EXPECT_NE(head_of(response(200)).find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(response, head_requests_get_the_length_without_the_body) {
  body_framing_out mode{};
  std::string h = head_of(response(200, "twelve bytes"), {date, "", true}, &mode);
  EXPECT_NE(h.find("Content-Length: 12\r\n"), std::string::npos);
  EXPECT_EQ(mode, body_framing_out::none);
}

TEST(response, streams_are_chunked_sized_or_close_delimited) {
  auto fn = [](body_writer&) -> task<void> { co_return; };
  body_framing_out mode{};
  std::string h = head_of(response::stream(200, fn), {}, &mode);
  EXPECT_NE(h.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(h.find("Content-Length"), std::string::npos);
  EXPECT_EQ(mode, body_framing_out::chunked);
  h = head_of(response::stream(200, fn, octet_stream, 5), {}, &mode);
  EXPECT_NE(h.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_EQ(mode, body_framing_out::sized);
  h = head_of(response::stream(200, fn), {date, "", false, true, true}, &mode);
  EXPECT_EQ(h.find("chunked"), std::string::npos);  // HTTP/1.0 knows no chunked coding
  EXPECT_NE(h.find("Connection: close"), std::string::npos);
  EXPECT_EQ(mode, body_framing_out::until_close);
}

TEST(response, headers_are_validated_and_the_servers_own_are_refused) {
  response r(200, "{}", application_json);
  r.set_header("X-Trace", "abc 123").set_header("Cache-Control", "no-store");
  std::string h = head_of(r);
  EXPECT_NE(h.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(h.find("X-Trace: abc 123\r\nCache-Control: no-store\r\n\r\n"), std::string::npos);
  EXPECT_THROW(r.set_header("Bad Name", "x"), std::invalid_argument);
  EXPECT_THROW(r.set_header("", "x"), std::invalid_argument);
  EXPECT_THROW(r.set_header("X-Split", "a\r\nInjected: yes"), std::invalid_argument);
  EXPECT_THROW(r.set_header("X-Nul", std::string_view("a\0b", 3)), std::invalid_argument);
  EXPECT_THROW(r.set_header("Content-Length", "5"), std::invalid_argument);
  EXPECT_THROW(r.set_header("transfer-encoding", "chunked"), std::invalid_argument);
  EXPECT_THROW(r.set_header("Connection", "close"), std::invalid_argument);
  response t(200, "<p>");
  t.set_header("Content-Type", "text/html");
  h = head_of(t);
  EXPECT_EQ(h.find("text/plain"), std::string::npos);
  EXPECT_NE(h.find("Content-Type: text/html\r\n"), std::string::npos);
}

TEST(response, an_out_of_range_status_is_sent_as_500) {
  EXPECT_EQ(head_of(response(42)).substr(0, 35), "HTTP/1.1 500 Internal Server Error\r");
  EXPECT_EQ(head_of(response(600)).substr(0, 12), "HTTP/1.1 500");
  EXPECT_EQ(head_of(response(299)).substr(0, 21), "HTTP/1.1 299 Unknown\r");
}

TEST(response, reason_phrases) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(999), "Unknown");
}

TEST(response, borrowed_bodies_are_not_copied) {
  static const std::string data(100000, 'z');
  response r = response::borrowed(200, data, octet_stream);
  EXPECT_EQ(r.body().data(), data.data());
  response moved = std::move(r);
  EXPECT_EQ(moved.body().data(), data.data());
  response small(200, "short");  // an owned small body survives moves (SSO)
  response s2 = std::move(small);
  EXPECT_EQ(s2.body(), "short");
}

TEST(http_date, is_an_imf_fixdate) {
  char buf[29];
  format_http_date(784111777, buf);
  EXPECT_EQ(std::string_view(buf, 29), "Sun, 06 Nov 1994 08:49:37 GMT");
  format_http_date(951782400, buf);  // a leap day
  EXPECT_EQ(std::string_view(buf, 29), "Tue, 29 Feb 2000 00:00:00 GMT");
  format_http_date(0, buf);
  EXPECT_EQ(std::string_view(buf, 29), "Thu, 01 Jan 1970 00:00:00 GMT");
  const std::string_view now = http_date(std::chrono::steady_clock::now());
  EXPECT_TRUE(std::regex_match(std::string(now), std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT)")))
      << now;
}

TEST(http_date, is_cached_within_a_second) {
  const auto t = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
  const std::string_view a = http_date(t);
  const std::string_view b = http_date(t + std::chrono::milliseconds(999));
  EXPECT_EQ(a.data(), b.data());
  EXPECT_EQ(a, b);
}

TEST(response, a_head_rendered_again_changes_with_each_thing_it_is_made_of) {
  // render_head keeps the last head it rendered; every input must still show in the next one.
  const std::string first = head_of(response(200, "hello\n"), {date, "barrage"});
  EXPECT_EQ(head_of(response(200, "hello\n"), {date, "barrage"}), first);
  EXPECT_NE(head_of(response(200, "hello!\n"), {date, "barrage"}).find("Content-Length: 7\r\n"), std::string::npos);
  EXPECT_NE(head_of(response(201, "hello\n"), {date, "barrage"}).find("201 Created"), std::string::npos);
  EXPECT_NE(head_of(response(200, "hello\n"), {"Mon, 07 Nov 1994 08:49:37 GMT", "barrage"}).find("Date: Mon, 07"),
            std::string::npos);
  EXPECT_NE(head_of(response(200, "hello\n"), {date, "other"}).find("Server: other\r\n"), std::string::npos);
  EXPECT_NE(head_of(response(200, "hello\n", "text/html"), {date, "barrage"}).find("Content-Type: text/html\r\n"),
            std::string::npos);
  EXPECT_NE(head_of(response(200, "hello\n"), {date, "barrage", false, false}).find("Connection: close\r\n"),
            std::string::npos);
  EXPECT_NE(head_of(response(200, "hello\n"), {date, "barrage", false, true, true}).find("Connection: keep-alive\r\n"),
            std::string::npos);
  response with_field(200, "hello\n");
  with_field.set_header("X-A", "b");
  EXPECT_NE(head_of(with_field, {date, "barrage"}).find("X-A: b\r\n"), std::string::npos);
  body_framing_out mode{};
  EXPECT_EQ(head_of(response(200, "hello\n"), {date, "barrage", true}, &mode), first);
  EXPECT_EQ(mode, body_framing_out::none);  // HEAD: the same head, no body
  EXPECT_EQ(head_of(response(200, "hello\n"), {date, "barrage"}, &mode), first);
  EXPECT_EQ(mode, body_framing_out::inline_body);
}
