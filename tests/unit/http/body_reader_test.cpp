#include "http/body_reader.hpp"

#include <gtest/gtest.h>

#include <string>

#include "guard_page.hpp"
#include "printers.hpp"

namespace barrage::http {
namespace {

body_framing length(std::uint64_t n) { return {body_kind::content_length, n}; }
constexpr body_framing chunked{body_kind::chunked, 0};
constexpr body_framing until_close{body_kind::until_close, 0};

TEST(body_reader, is_done_at_once_without_a_body) {
  body_reader r;
  EXPECT_TRUE(r.done());
  const body_step step = r.feed("GET / HTTP/1.1\r\n");
  EXPECT_EQ(step.consumed, 0u) << "the bytes belong to the next message";
  EXPECT_TRUE(step.done());
}

TEST(body_reader, is_done_at_once_for_content_length_zero) {
  body_reader r(length(0));
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.feed("x").consumed, 0u);
}

TEST(body_reader, counts_content_length_bytes_and_leaves_the_rest) {
  test::guard_page g;
  body_reader r(length(5));
  const body_step step = r.feed(g.place("helloGET"));
  EXPECT_EQ(step.data, "hello");
  EXPECT_EQ(step.consumed, 5u);
  EXPECT_TRUE(step.done());
  EXPECT_EQ(r.bytes_read(), 5u);
}

TEST(body_reader, reads_content_length_one_byte_at_a_time) {
  test::guard_page g;
  body_reader r(length(3));
  std::string body;
  for (char c : std::string("abc")) {
    const body_step step = r.feed(g.place(std::string(1, c)));
    EXPECT_EQ(step.consumed, 1u);
    body += step.data;
  }
  EXPECT_EQ(body, "abc");
  EXPECT_TRUE(r.done());
}

TEST(body_reader, reports_a_truncated_content_length_body_at_eof) {
  body_reader r(length(10));
  EXPECT_EQ(r.feed("hello").consumed, 5u);
  const body_step step = r.finish();
  EXPECT_TRUE(step.is_error());
  EXPECT_EQ(step.error, parse_error::truncated_body);
  EXPECT_EQ(r.feed("world").consumed, 0u) << "nothing more after an error";
}

TEST(body_reader, decodes_chunked_through_the_chunked_decoder) {
  body_reader r(chunked);
  std::string_view in = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT";
  std::string body;
  while (!r.done()) {
    const body_step step = r.feed(in);
    ASSERT_FALSE(step.is_error());
    body += step.data;
    in.remove_prefix(step.consumed);
  }
  EXPECT_EQ(body, "hello world");
  EXPECT_EQ(in, "NEXT");
  EXPECT_EQ(r.bytes_read(), 11u);
}

TEST(body_reader, reports_chunked_errors) {
  body_reader r(chunked);
  const body_step step = r.feed("0x5\r\n");
  EXPECT_TRUE(step.is_error());
  EXPECT_EQ(step.error, parse_error::bad_chunk_size);
  EXPECT_EQ(r.error(), parse_error::bad_chunk_size);
}

TEST(body_reader, reports_a_truncated_chunked_body_at_eof) {
  body_reader r(chunked);
  (void)r.skip("5\r\nhello\r\n");
  EXPECT_EQ(r.finish().error, parse_error::truncated_body);
}

TEST(body_reader, takes_everything_until_close) {
  body_reader r(until_close);
  EXPECT_EQ(r.feed("abc").data, "abc");
  EXPECT_EQ(r.feed("de").consumed, 2u);
  EXPECT_FALSE(r.done());
  EXPECT_TRUE(r.finish().done());
  EXPECT_EQ(r.bytes_read(), 5u);
  EXPECT_EQ(r.feed("late").consumed, 0u);
}

TEST(body_reader, skips_a_whole_chunked_body_in_one_call) {
  body_reader r(chunked);
  const std::string_view in = "1\r\na\r\n2\r\nbc\r\n0\r\nX: y\r\n\r\nHTTP/1.1";
  const body_step step = r.skip(in);
  EXPECT_TRUE(step.done());
  EXPECT_TRUE(step.data.empty());
  EXPECT_EQ(step.consumed, in.size() - 8);
  EXPECT_EQ(r.bytes_read(), 3u);
}

TEST(body_reader, skips_across_feeds_split_at_every_position) {
  const std::string in = "3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n";
  test::guard_page g;
  for (std::size_t k = 0; k <= in.size(); ++k) {
    body_reader r(chunked);
    const body_step a = r.skip(g.place(std::string_view(in).substr(0, k)));
    ASSERT_EQ(a.consumed, k) << "a body reader in progress uses every byte it is given";
    const body_step b = r.skip(g.place(std::string_view(in).substr(k)));
    EXPECT_TRUE(b.done()) << k;
    EXPECT_EQ(r.bytes_read(), 7u);
  }
}

}  // namespace
}  // namespace barrage::http
