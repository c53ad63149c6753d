#include "http/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace std::literals;

namespace barrage::http {
namespace {

struct ev {
  std::string type, data, id;
  bool operator==(const ev&) const = default;
};

std::ostream& operator<<(std::ostream& os, const ev& e) {
  return os << "{type=" << e.type << " data=\"" << e.data << "\" id=" << e.id << "}";
}

struct outcome {
  std::vector<ev> events;
  sse_error error = sse_error::none;
  std::optional<std::uint64_t> retry;
  std::uint64_t comments = 0;
  bool cut = false;  // finish() discarded a partial event
};

struct sse_case {
  std::string name;
  std::string input;
  std::vector<ev> events;
  sse_error error = sse_error::none;
  std::optional<std::uint64_t> retry = std::nullopt;
  std::uint64_t comments = 0;
  bool cut = false;
  sse_limits limits = {};
};

void feed_all(sse_parser& p, std::string_view in, outcome& o) {
  while (!in.empty()) {
    const sse_step s = p.feed(in);
    ASSERT_LE(s.consumed, in.size());
    in.remove_prefix(s.consumed);
    if (s.dispatched) {
      const sse_event e = p.event();
      o.events.push_back({std::string(e.type), std::string(e.data), std::string(e.last_event_id)});
    }
    if (s.error != sse_error::none) {
      o.error = s.error;
      return;
    }
    ASSERT_TRUE(s.consumed > 0 || s.dispatched) << "no progress";
  }
}

outcome run(const sse_case& c, const std::vector<std::size_t>& cuts) {
  sse_parser p(c.limits);
  outcome o;
  std::size_t from = 0;
  for (std::size_t at : cuts) {
    feed_all(p, std::string_view(c.input).substr(from, at - from), o);
    if (o.error != sse_error::none) break;
    from = at;
  }
  if (o.error == sse_error::none) feed_all(p, std::string_view(c.input).substr(from), o);
  o.retry = p.retry_ms();
  o.comments = p.comments();
  o.cut = p.finish();
  return o;
}

void expect_case(const sse_case& c, const outcome& o, const std::string& how) {
  EXPECT_EQ(o.events, c.events) << c.name << " " << how;
  EXPECT_EQ(o.error, c.error) << c.name << " " << how;
  EXPECT_EQ(o.cut, c.cut) << c.name << " " << how;
  if (c.error != sse_error::none) return;
  EXPECT_EQ(o.retry, c.retry) << c.name << " " << how;
  EXPECT_EQ(o.comments, c.comments) << c.name << " " << how;
  EXPECT_EQ(o.cut, c.cut) << c.name << " " << how;
}

ev msg(std::string data, std::string id = "") { return {"message", std::move(data), std::move(id)}; }

// clang-format off
const std::vector<sse_case> cases = {
  {"one_data_line_makes_one_message", "data: hello\n\n", {msg("hello")}},
  {"data_lines_are_joined_with_lf", "data: a\ndata: b\ndata\n\n", {msg("a\nb\n")}},
  {"only_one_space_after_the_colon_is_dropped", "data:  two\ndata:none\n\n", {msg(" two\nnone")}},
  {"crlf_ends_lines", "data: a\r\ndata: b\r\n\r\n", {msg("a\nb")}},
  {"cr_alone_ends_lines", "data: a\rdata: b\r\r", {msg("a\nb")}},
  {"mixed_line_ends", "data: a\r\ndata: b\rdata: c\n\r\n", {msg("a\nb\nc")}},
  {"cr_then_cr_is_two_line_ends", "data: x\r\r", {msg("x")}},
  {"event_field_sets_the_type", "event: tick\ndata: 1\n\ndata: 2\n\n", {{"tick", "1", ""}, msg("2")}},
  {"an_empty_event_field_means_message", "event:\ndata: 1\n\n", {msg("1")}},
  {"id_persists_across_events", "id: 7\ndata: a\n\ndata: b\n\n", {msg("a", "7"), msg("b", "7")}},
  {"an_empty_id_resets_it", "id: 7\ndata: a\n\nid\ndata: b\n\n", {msg("a", "7"), msg("b", "")}},
  {"an_id_with_nul_is_ignored", "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"s, {msg("a", "1"), msg("b", "1")}},
  {"an_id_without_data_takes_effect_at_the_next_event", "id: 9\n\ndata: a\n\n", {msg("a", "9")}},
  {"a_blank_line_without_data_dispatches_nothing", "event: x\n\n\n\ndata: a\n\n", {msg("a")}},
  {"the_type_does_not_leak_into_the_next_event", "event: x\n\ndata: a\n\n", {msg("a")}},
  {"comments_are_ignored_and_counted", ": hello\n:\ndata: a\n: keep-alive\n\n", {msg("a")}, sse_error::none, std::nullopt, 3},
  {"retry_takes_digits", "retry: 1500\n", {}, sse_error::none, 1500},
  {"retry_with_other_bytes_is_ignored", "retry: 15s\nretry: -1\nretry:\nretry: 1 \n", {}},
  {"retry_past_64_bits_is_ignored", "retry: 99999999999999999999999\n", {}},
  {"a_later_valid_retry_wins", "retry: 10\nretry: x\nretry: 20\n", {}, sse_error::none, 20},
  {"unknown_fields_are_ignored", "foo: bar\nDATA: x\ndata: a\n\n", {msg("a")}},
  {"a_line_without_a_colon_is_a_field_with_empty_value", "data\ndata\n\n", {msg("\n")}},
  {"a_colon_in_the_value_is_kept", "data: a:b: c\n\n", {msg("a:b: c")}},
  {"a_leading_bom_is_dropped", "\xEF\xBB\xBF" "data: a\n\n", {msg("a")}},
  {"a_second_bom_is_part_of_the_field_name", "\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\ndata: b\n\n", {msg("b")}},
  {"a_partial_bom_is_text", "\xEF\xBB" "data: a\n\n", {}},
  {"invalid_utf8_becomes_the_replacement_character", "data: a\xFF" "b\xE2\x82" "c\n\n", {msg("a\uFFFDb\uFFFDc")}},
  {"valid_utf8_passes", "data: \u00e9\u20ac\U0001F600\n\n", {msg("\u00e9\u20ac\U0001F600")}},
  {"surrogates_are_ill_formed", "data: \xED\xA0\x80\n\n", {msg("\uFFFD\uFFFD\uFFFD")}},
  {"an_event_without_its_blank_line_is_discarded_at_the_end", "data: a\n\ndata: b\n", {msg("a")}, sse_error::none, std::nullopt, 0, true},
  {"a_line_without_its_end_is_discarded_at_the_end", "data: a\n\ndata: b", {msg("a")}, sse_error::none, std::nullopt, 0, true},
  {"a_clean_end_cuts_nothing", "data: a\n\n", {msg("a")}, sse_error::none, std::nullopt, 0, false},
  {"a_long_line_is_an_error", "data: " + std::string(40, 'x') + "\n\n", {}, sse_error::line_too_long, std::nullopt, 0, false, {32, 1024}},
  {"a_line_at_the_limit_is_fine", "data: " + std::string(26, 'x') + "\n\n", {msg(std::string(26, 'x'))}, sse_error::none, std::nullopt, 0, false, {32, 1024}},
  {"an_oversized_event_is_an_error", "data: 0123456789\ndata: 0123456789\n\n", {}, sse_error::event_too_large, std::nullopt, 0, false, {64, 16}},
  {"events_before_an_error_are_dispatched", "data: a\n\ndata: 0123456789abcdefgh\n\n", {msg("a")}, sse_error::event_too_large, std::nullopt, 0, false, {64, 16}},
  {"a_long_unfinished_line_is_an_error_with_nothing_pending", "data: a\n\ndata: " + std::string(40, 'x'), {msg("a")}, sse_error::line_too_long, std::nullopt, 0, false, {32, 1024}},
  {"the_empty_stream_has_no_events", "", {}},
};
// clang-format on

TEST(SseParser, EveryCaseGivesTheSameEventsWhereverTheInputIsSplitInTwo) {
  for (const auto& c : cases) {
    expect_case(c, run(c, {}), "whole");
    for (std::size_t k = 1; k < c.input.size(); ++k) expect_case(c, run(c, {k}), "split at " + std::to_string(k));
  }
}

TEST(SseParser, EveryCaseGivesTheSameEventsFedOneByteAtATime) {
  for (const auto& c : cases) {
    std::vector<std::size_t> cuts;
    for (std::size_t k = 1; k < c.input.size(); ++k) cuts.push_back(k);
    expect_case(c, run(c, cuts), "byte by byte");
  }
}

TEST(SseParser, AFeedStopsAfterEachDispatchSoTheEventCanBeRead) {
  sse_parser p;
  std::string_view in = "data: a\n\ndata: b\n\n";
  sse_step s = p.feed(in);
  EXPECT_TRUE(s.dispatched);
  EXPECT_EQ(s.consumed, 9u);
  EXPECT_EQ(p.event().data, "a");
  in.remove_prefix(s.consumed);
  s = p.feed(in);
  EXPECT_TRUE(s.dispatched);
  EXPECT_EQ(p.event().data, "b");
  EXPECT_EQ(p.events(), 2u);
}

TEST(SseParser, AFailedParserConsumesNothingMore) {
  sse_parser p({8, 8});
  EXPECT_EQ(p.feed("data: too long\n").error, sse_error::line_too_long);
  const sse_step s = p.feed("data: a\n\n");
  EXPECT_EQ(s.consumed, 0u);
  EXPECT_EQ(s.error, sse_error::line_too_long);
}

TEST(SseParser, ResetStartsANewStreamWithTheBuffersKept) {
  sse_parser p;
  (void)p.feed("id: 3\nretry: 5\ndata: a\n\ndata: half");
  p.reset();
  EXPECT_EQ(p.retry_ms(), std::nullopt);
  const sse_step s = p.feed("\xEF\xBB\xBF" "data: b\n\n");
  ASSERT_TRUE(s.dispatched);
  EXPECT_EQ(p.event().data, "b");
  EXPECT_EQ(p.event().last_event_id, "");
  EXPECT_EQ(p.events(), 1u);
}

TEST(SseParser, Utf8ReplacementFollowsTheMaximalSubpartRule) {
  std::string out;
  append_utf8_replacing(out, "\xF0\x9F\x98" "a\xC0\x80\xF4\x90\x80\x80");
  // F0 9F 98: one maximal subpart; C0 and 80: one each; F4 90: F4 alone (90 out of range), then 90, 80, 80.
  EXPECT_EQ(out, "\uFFFD" "a" "\uFFFD\uFFFD" "\uFFFD\uFFFD\uFFFD\uFFFD");
  EXPECT_TRUE(is_utf8("plain \u00e9"));
  EXPECT_FALSE(is_utf8("\xC3"));
}

}  // namespace
}  // namespace barrage::http
