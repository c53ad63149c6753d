#include "loadgen/stream_recorder.hpp"

#include <gtest/gtest.h>

#include <array>

#include "loadgen/report_streams.hpp"
#include "loadgen/stream_options.hpp"

namespace barrage::loadgen {
namespace {

using namespace std::chrono_literals;

const time_point t0 = time_point{} + 1h;

/// A response head with these fields and framing.
struct head_of {
  std::array<http::header, 2> fields{};
  http::response_head head;
  head_of(http::body_kind kind, std::string_view content_type) {
    fields[0] = {"Content-Type", content_type};
    head.status = 200;
    head.headers = std::span(fields).first(content_type.empty() ? 0 : 1);
    head.body.kind = kind;
  }
};

TEST(stream_recorder, times_each_event_of_an_event_stream_whatever_the_reads_carry) {
  stream_stats st;
  stream_recorder rec(st, t0, 1s);
  head_of h(http::body_kind::chunked, "text/event-stream; charset=utf-8");
  rec.on_head(h.head, t0, t0 + 1ms);
  rec.on_body("data: a\n\ndata:", t0 + 10ms);     // one event, and half of the next
  rec.on_body(" b\n\n", t0 + 110ms);              // completes it: 100 ms later
  rec.on_body(": comment\n\n", t0 + 200ms);       // no event
  rec.on_body("data: c\n\ndata: d\n\n", t0 + 2s);  // two at once: 1.89 s, then 0
  rec.on_end(client::error_kind::none, t0 + 2s);
  ASSERT_TRUE(st.histograms);
  const auto& f = *st.histograms;
  EXPECT_EQ(st.responses, 1u);
  EXPECT_EQ(st.event_streams, 1u);
  EXPECT_EQ(st.stalled, 1u);  // 1.89 s > 1 s
  EXPECT_EQ(st.cut, 0u);
  EXPECT_EQ(f.ttfb.count(), 1u);
  EXPECT_NEAR(static_cast<double>(f.ttfb.max()), 10e6, 10e3);
  EXPECT_EQ(f.gap.count(), 3u);
  EXPECT_NEAR(static_cast<double>(f.gap.max()), 1.89e9, 2e6);
  EXPECT_EQ(f.gap.min(), 0u);
  EXPECT_EQ(f.events.max(), 4u);
  EXPECT_EQ(f.length_bytes.max(), 47u);  // 14 + 4 + 11 + 18: comments count as bytes
  // 3 intervals over 1.99 s.
  EXPECT_NEAR(static_cast<double>(f.events_per_second_milli.max()) / 1e3, 3 / 1.99, 0.01);
}

TEST(stream_recorder, counts_a_chunked_body_by_arrivals_and_a_cut_stream_with_its_partial_figures) {
  stream_stats st;
  stream_recorder rec(st, t0, 500ms);
  head_of h(http::body_kind::chunked, "text/plain");
  rec.on_head(h.head, t0, t0);
  rec.on_body("chunk 0\n", t0 + 5ms);
  rec.on_body("chunk 1\n", t0 + 5ms);  // the same read: one arrival
  rec.on_body("chunk 2\n", t0 + 105ms);
  rec.on_end(client::error_kind::truncated_body, t0 + 200ms);
  const auto& f = *st.histograms;
  EXPECT_EQ(st.responses, 1u);
  EXPECT_EQ(st.event_streams, 0u);
  EXPECT_EQ(st.cut, 1u);
  EXPECT_EQ(st.stalled, 0u);
  EXPECT_EQ(f.events.max(), 2u);
  EXPECT_EQ(f.gap.count(), 1u);
  EXPECT_EQ(f.length_bytes.max(), 24u);
}

TEST(stream_recorder, leaves_out_sized_bodies_and_warm_up_requests) {
  stream_stats st;
  stream_recorder rec(st, t0, 1s);
  head_of sized(http::body_kind::content_length, "text/plain");
  rec.on_head(sized.head, t0, t0);
  rec.on_body("hello", t0);
  rec.on_end(client::error_kind::none, t0);
  head_of chunked(http::body_kind::chunked, "");
  rec.on_head(chunked.head, t0 - 1ms, t0);  // started before counted_from
  rec.on_body("x", t0);
  rec.on_end(client::error_kind::none, t0);
  EXPECT_EQ(st.responses, 0u);
  EXPECT_FALSE(st.histograms);
  head_of sse_sized(http::body_kind::content_length, "TEXT/EVENT-STREAM");
  rec.on_head(sse_sized.head, t0, t0);  // an event stream counts whatever its framing
  rec.on_body("data: a\n\n", t0);
  rec.on_end(client::error_kind::none, t0);
  EXPECT_EQ(st.responses, 1u);
  EXPECT_EQ(st.histograms->events.max(), 1u);
}

TEST(stream_recorder, an_event_over_the_parser_limit_stops_parsing_and_is_counted) {
  stream_stats st;
  stream_recorder rec(st, t0, 1s);
  head_of h(http::body_kind::chunked, "text/event-stream");
  rec.on_head(h.head, t0, t0);
  rec.on_body("data: " + std::string(70 * 1024, 'x') + "\n\n", t0);
  rec.on_end(client::error_kind::none, t0);
  EXPECT_EQ(st.event_stream_errors, 1u);
  EXPECT_EQ(st.histograms->events.max(), 0u);
}

TEST(stream_stats, merge_adds_counts_and_histograms) {
  stream_stats a, b;
  b.responses = 2;
  b.stalled = 1;
  b.figures().gap.record(5);
  a.merge(b);
  a.merge(b);
  EXPECT_EQ(a.responses, 4u);
  EXPECT_EQ(a.stalled, 2u);
  EXPECT_EQ(a.histograms->gap.count(), 2u);
  a.reset();
  EXPECT_EQ(a.responses, 0u);
  EXPECT_EQ(a.histograms->gap.count(), 0u);
}

TEST(stream_options, stall_is_a_duration_above_zero_and_needs_stream) {
  EXPECT_EQ(*parse_stall("250ms"), 250ms);
  EXPECT_FALSE(parse_stall("0"));
  EXPECT_FALSE(parse_stall("soon"));
  run_options o;
  o.stall = "2s";
  option_reader in;
  run_config c;
  read_stream(o, in, c);
  ASSERT_TRUE(in.error());
  EXPECT_EQ(*in.error(), "--stall needs --stream");
  o.stream = true;
  option_reader in2;
  read_stream(o, in2, c);
  EXPECT_FALSE(in2.error());
  EXPECT_TRUE(c.stream);
  EXPECT_EQ(c.stall, 2s);
}

TEST(stream_options, stream_is_refused_with_http2) {
  run_options o;
  o.url = "http://127.0.0.1:1/";
  o.stream = true;
  o.http2_prior_knowledge = true;
  auto c = make_run_config(o, 1);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), "--stream works over HTTP/1.1 only: not with --http2 or --http2-prior-knowledge yet");
}

TEST(report_streams, the_text_section_shows_stalls_and_gaps) {
  run_result r;
  r.config.stream = true;
  r.stats.streams.responses = 3;
  r.stats.streams.stalled = 1;
  r.stats.streams.figures().gap.record(2'000'000'000);
  r.stats.streams.figures().events.record(10);
  const std::string text = streams_text(r, false);
  EXPECT_NE(text.find("Streams  stalled: largest gap above 1.00s"), std::string::npos) << text;
  EXPECT_NE(text.find("3 streamed (0 text/event-stream); 1 stalled, 0 cut"), std::string::npos) << text;
  EXPECT_NE(text.find("max 2.00s"), std::string::npos) << text;
  const auto j = streams_json(r);
  EXPECT_EQ(j["stalled"], 1);
  EXPECT_DOUBLE_EQ(j["gap"]["max"].get<double>(), 2000.0);
  EXPECT_EQ(j["events"]["p50"], 10.0);
}

}  // namespace
}  // namespace barrage::loadgen
