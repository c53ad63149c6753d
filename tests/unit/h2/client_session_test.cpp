// The client session against a server session in memory, and against raw frames for peers
// that reset, go away or break the protocol.
#include "h2/client_session.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "h2_harness.hpp"

namespace barrage::h2 {
namespace {

using namespace testing;

constexpr std::uint8_t end_stream = 0x1, end_headers = 0x4, ack = 0x1;

// A server's SETTINGS frame with one entry (RFC 9113 §6.5.1).
std::string settings_with(std::uint16_t id, std::uint32_t value) {
  return frame(settings_type, 0, 0, std::string{static_cast<char>(id >> 8), static_cast<char>(id)} + u32(value));
}

// A client that has sent its preface and one GET, and read an empty SETTINGS from a raw peer.
struct raw_peer_test : ::testing::Test {
  client_session c;
  transcript t;
  void SetUp() override {
    ASSERT_TRUE(c.submit({.authority = "example.com", .path = "/a"}).ok());
    ASSERT_TRUE(c.submit({.authority = "example.com", .path = "/b"}).ok());
    ASSERT_TRUE(c.submit({.authority = "example.com", .path = "/c"}).ok());
    output_of(c);
    ASSERT_TRUE(c.feed(frame(settings_type, 0, 0, "")).ok());
    drain(c, t);
    output_of(c);  // the SETTINGS ACK
  }
};

TEST(ClientSession, FirstOutputIsThePrefaceThenSettingsWithTheWindowsAsked) {
  client_session c({.stream_window = 1 << 20, .connection_window = 1 << 24});
  const std::string out = output_of(c);
  ASSERT_TRUE(out.starts_with(client_preface));
  const std::vector<frame_info> fs = frames_in(out);
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(fs[0].type, settings_type);
  // INITIAL_WINDOW_SIZE (0x4) = 2^20 among the entries.
  EXPECT_NE(fs[0].payload.find(std::string("\x00\x04", 2) + u32(1 << 20)), std::string::npos);
  // The connection window raised from 65535 to 2^24 on stream 0.
  EXPECT_EQ(fs[1].type, 0x8);
  EXPECT_EQ(fs[1].stream, 0);
  EXPECT_EQ(fs[1].payload, u32((1 << 24) - 65535));
}

TEST(ClientSession, AGetAgainstAServerSessionYieldsItsHeadBodyEndAndCleanClose) {
  client_session c;
  server_session s;
  transcript tc, ts;
  const field accept[] = {{"accept", "*/*"}};
  auto id = c.submit({.authority = "localhost:8080", .path = "/hello?x=1", .fields = accept});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 1);
  EXPECT_EQ(c.open_streams(), 1u);
  pump(c, s, tc, ts, answer_with("hello, h2"));
  EXPECT_EQ(ts.lines, (std::vector<std::string>{"settings", "request 1 GET http://localhost:8080/hello?x=1 end", "end 1",
                                                "closed 1 NO_ERROR"}));
  EXPECT_EQ(ts.fields[1], (std::vector<std::pair<std::string, std::string>>{{"accept", "*/*"}}));
  EXPECT_EQ(tc.lines, (std::vector<std::string>{"settings", "head 1 200", "end 1", "closed 1 NO_ERROR"}));
  EXPECT_EQ(tc.bodies[1], "hello, h2");
  EXPECT_EQ(tc.fields[1], (std::vector<std::pair<std::string, std::string>>{{"content-type", "text/plain"}}));
  EXPECT_EQ(c.open_streams(), 0u);
  EXPECT_TRUE(c.wants_read());
}

TEST(ClientSession, EverySplitPointOfTheServersFirstFlightYieldsTheSameEvents) {
  // The server's first flight: SETTINGS, the ACK of the client's, the response HEADERS and DATA.
  client_session c0;
  server_session s;
  ASSERT_TRUE(c0.submit({.authority = "a", .path = "/"}).ok());
  ASSERT_TRUE(s.feed(output_of(c0)).ok());
  for (const event& e : s.events())
    if (const auto* end = std::get_if<stream_end>(&e)) {
      static constexpr field fs[] = {{"content-type", "text/plain"}, {"x-long", "a value long enough to span pieces"}};
      ASSERT_TRUE(s.respond(end->stream, {.fields = fs, .body = "0123456789"}).ok());
    }
  s.clear_events();
  const std::string flight = output_of(s);
  ASSERT_GT(flight.size(), 30u);

  transcript whole;
  {
    client_session c;
    ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
    output_of(c);
    ASSERT_TRUE(c.feed(flight).ok());
    drain(c, whole);
  }
  ASSERT_EQ(whole.lines, (std::vector<std::string>{"settings", "head 1 200", "end 1", "closed 1 NO_ERROR"}));
  ASSERT_EQ(whole.fields[1].size(), 2u);
  for (std::size_t cut = 0; cut <= flight.size(); ++cut) {
    client_session c;
    transcript t;
    ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
    output_of(c);
    ASSERT_TRUE(c.feed(std::string_view(flight).substr(0, cut)).ok()) << "cut at " << cut;
    drain(c, t);
    ASSERT_TRUE(c.feed(std::string_view(flight).substr(cut)).ok()) << "cut at " << cut;
    drain(c, t);
    EXPECT_EQ(t.lines, whole.lines) << "cut at " << cut;
    EXPECT_EQ(t.bodies, whole.bodies) << "cut at " << cut;
    // Events are cleared between the pieces: a header block that spans them keeps its bytes.
    EXPECT_EQ(t.fields, whole.fields) << "cut at " << cut;
  }
}

TEST(ClientSession, ALargeRequestBodyNeverExceedsTheServersSmallWindowAndArrivesWhole) {
  client_session c;
  server_session s({.stream_window = 1000});
  transcript tc, ts;
  const std::string body(1 << 20, 'b');
  ASSERT_TRUE(c.submit({.method = "POST", .authority = "a", .path = "/upload", .body = body}).ok());
  // Before the server's SETTINGS, the RFC's 65535 applies; after them, each round trip can
  // carry no more than the 1000 bytes the server's window update returns.
  ASSERT_TRUE(s.feed(output_of(c)).ok());
  drain(s, ts);
  ASSERT_TRUE(c.feed(output_of(s)).ok());
  drain(c, tc);
  std::size_t most = 0;
  int rounds = 0;
  for (; rounds < 50000 && ts.bodies[1].size() < body.size(); ++rounds) {
    const std::string out = output_of(c);
    std::size_t data = 0;
    for (const frame_info& f : frames_in(out))
      if (f.type == data_type) data += f.payload.size();
    most = std::max(most, data);
    ASSERT_TRUE(s.feed(out).ok());
    drain(s, ts);
    ASSERT_TRUE(c.feed(output_of(s)).ok());
    drain(c, tc);
  }
  EXPECT_LE(most, 1000u) << rounds;
  // Past the first 65535 bytes, a round trip per window of 1000.
  EXPECT_GE(rounds, static_cast<int>((body.size() - 65535) / 1000));
  EXPECT_EQ(ts.bodies[1].size(), body.size());
  EXPECT_TRUE(ts.bodies[1] == body);
  EXPECT_TRUE(ts.has("end 1"));
}

TEST(ClientSession, ALargeResponseBodyWithASmallClientWindowArrivesWholeAsWindowsAreReturned) {
  client_session c({.stream_window = 1024, .keep_data_bytes = true});
  server_session s;
  transcript tc, ts;
  std::string body(300000, 'x');
  for (std::size_t i = 0; i < body.size(); i += 7) body[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/big"}).ok());
  pump(c, s, tc, ts, answer_with(body));
  EXPECT_TRUE(tc.bodies[1] == body);
  EXPECT_EQ(tc.lines, (std::vector<std::string>{"settings", "head 1 200", "end 1", "closed 1 NO_ERROR"}));
  EXPECT_GE(tc.data_events, body.size() / 1024);  // never more than a window at a time
}

// The bytes one batch of events holds: names, values, kept data.
std::size_t event_bytes(std::span<const event> events) {
  std::size_t n = 0;
  for (const event& e : events) {
    if (const auto* h = std::get_if<response_head>(&e))
      for (const field& f : h->fields) n += f.name.size() + f.value.size();
    if (const auto* d = std::get_if<data_chunk>(&e)) n += d->bytes.size();
  }
  return n;
}

TEST(ClientSession, FewBytesThatDecodeToManyFieldsArriveInBatchesWithinTheEventBudget) {
  // The server repeats one 3000-byte field in fifty responses: HPACK sends it once, then as a
  // one-byte index. The client's events never hold much more than their 8 KiB budget at once.
  client_session c({.max_event_bytes = 8192});
  server_session s;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  ASSERT_TRUE(s.feed(output_of(c)).ok());
  static const std::string big(3000, 'v');
  const field fs[] = {{"x-big", big}};
  for (const event& e : s.events())
    if (const auto* end = std::get_if<stream_end>(&e)) {
      ASSERT_TRUE(s.respond(end->stream, {.fields = fs}).ok());
    }
  s.clear_events();
  const std::string flight = output_of(s);
  EXPECT_LT(flight.size(), 10000u);  // 150 KB of fields in under 10 KB

  transcript t;
  std::string_view in = flight;
  std::size_t calls = 0, most = 0;
  while (!in.empty() && calls < 1000) {
    auto fed = c.feed(in);
    ASSERT_TRUE(fed.ok());
    ++calls;
    in.remove_prefix(*fed);
    most = std::max(most, event_bytes(c.events()));
    drain(c, t);
  }
  EXPECT_TRUE(in.empty());
  EXPECT_GE(calls, 50u * 3005 / (8192 + 3005));
  EXPECT_LE(most, 8192u + 3005);  // the budget and one header block
  for (int id = 1; id < 100; id += 2) {
    EXPECT_TRUE(t.has("closed " + std::to_string(id) + " NO_ERROR")) << id;
    ASSERT_EQ(t.fields[id].size(), 1u) << id;
    EXPECT_TRUE(t.fields[id][0].second == big) << id;
  }
}

TEST(ClientSession, DataEventsCarryOnlyLengthsWhenTheBytesAreNotKept) {
  client_session c({.keep_data_bytes = false});
  server_session s;
  transcript tc, ts;
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  pump(c, s, tc, ts, answer_with("twelve bytes"));
  EXPECT_EQ(tc.bodies[1], "????????????");
}

TEST(ClientSession, AResetFromTheServerIsAResetEventThenAClosedStreamWithItsCode) {
  client_session c;
  server_session s;
  transcript tc, ts;
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  pump(c, s, tc, ts, [](server_session& srv, const event& e) {
    if (const auto* h = std::get_if<request_head>(&e)) {
      ASSERT_TRUE(srv.reset_stream(h->stream, error_code::refused_stream).ok());
    }
  });
  EXPECT_EQ(tc.lines, (std::vector<std::string>{"settings", "reset 1 REFUSED_STREAM", "closed 1 REFUSED_STREAM"}));
  EXPECT_EQ(c.open_streams(), 0u);
}

TEST_F(raw_peer_test, AGoawayIsAnEventAndTheStreamsAboveItsLastIdCloseRefused) {
  ASSERT_TRUE(c.feed(frame(goaway_type, 0, 0, u32(1) + u32(0xb) + "calm down")).ok());
  drain(c, t);
  EXPECT_EQ(t.lines, (std::vector<std::string>{"settings", "goaway 1 ENHANCE_YOUR_CALM calm down", "closed 3 REFUSED_STREAM",
                                               "closed 5 REFUSED_STREAM"}));
  EXPECT_EQ(c.open_stream_ids(), std::vector<std::int32_t>{1});
  // Stream 1 was processed: its response still completes.
  ASSERT_TRUE(c.feed(frame(headers_type, end_headers | end_stream, 1, "\x88")).ok());
  drain(c, t);
  EXPECT_TRUE(t.has("head 1 200 end"));
  EXPECT_TRUE(t.has("closed 1 NO_ERROR"));
}

TEST_F(raw_peer_test, ARequestQueuedBeforeAGoawayIsRefusedWithoutBeingSentAndLaterOnesFail) {
  auto queued = c.submit({.authority = "example.com", .path = "/queued"});
  ASSERT_TRUE(queued.ok());
  ASSERT_TRUE(c.feed(frame(goaway_type, 0, 0, u32(5) + u32(0))).ok());
  for (const frame_info& f : frames_in(output_of(c))) EXPECT_NE(f.stream, *queued);
  drain(c, t);
  EXPECT_TRUE(t.has("closed " + std::to_string(*queued) + " REFUSED_STREAM"));
  auto late = c.submit({.authority = "example.com", .path = "/late"});
  ASSERT_FALSE(late.ok());
  EXPECT_FALSE(late.error().fatal());
  EXPECT_EQ(c.open_stream_ids(), (std::vector<std::int32_t>{1, 3, 5}));
}

TEST_F(raw_peer_test, ARstStreamFrameNamesItsStreamAndCode) {
  ASSERT_TRUE(c.feed(frame(rst_type, 0, 3, u32(0x8))).ok());
  drain(c, t);
  EXPECT_EQ(t.lines, (std::vector<std::string>{"settings", "reset 3 CANCEL", "closed 3 CANCEL"}));
  EXPECT_EQ(c.open_stream_ids(), (std::vector<std::int32_t>{1, 5}));
}

TEST(ClientSession, ThePeersMaxConcurrentStreamsIsASettingsEventAndBoundsTheStreamsSent) {
  client_session c;
  transcript t;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  EXPECT_EQ(c.peer().max_concurrent_streams, 100u);  // nghttp2's assumption until SETTINGS
  output_of(c);
  ASSERT_TRUE(c.feed(settings_with(0x3, 2)).ok());  // MAX_CONCURRENT_STREAMS = 2
  drain(c, t);
  EXPECT_EQ(t.lines, std::vector<std::string>{"settings"});
  EXPECT_EQ(t.last_settings.max_concurrent_streams, 2u);
  EXPECT_EQ(c.free_slots(), 0u);
  // The four requests went out before the limit was known; a fifth waits for a close.
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/fifth"}).ok());
  for (const frame_info& f : frames_in(output_of(c))) EXPECT_NE(f.stream, 9);
  for (std::int32_t id : {1, 3, 5}) ASSERT_TRUE(c.feed(frame(headers_type, end_headers | end_stream, id, "\x88")).ok());
  bool fifth_sent = false;
  for (const frame_info& f : frames_in(output_of(c))) fifth_sent |= f.type == headers_type && f.stream == 9;
  EXPECT_TRUE(fifth_sent);
}

TEST(ClientSession, GarbageFromTheServerIsAnsweredWithAProtocolErrorGoaway) {
  client_session c;
  transcript t;
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  output_of(c);
  // A DATA frame on stream 0 before any SETTINGS: a connection error (RFC 9113 §3.4, §6.1).
  auto fed = c.feed(frame(data_type, 0, 0, "HTTP/1.1 200 OK\r\n"));
  drain(c, t);
  ASSERT_TRUE(fed.ok());
  output_of(c);
  drain(c, t);
  ASSERT_FALSE(t.lines.empty());
  EXPECT_EQ(t.lines.back().rfind("goaway_sent 0 PROTOCOL_ERROR", 0), 0u) << t.lines.back();
  EXPECT_FALSE(c.wants_read());
  EXPECT_FALSE(c.wants_write());
  EXPECT_EQ(c.open_stream_ids(), std::vector<std::int32_t>{1});
}

TEST(ClientSession, AResponseHeaderBlockOverTheLimitResetsOnlyItsStream) {
  client_session c({.max_header_fields = 4});
  server_session s;
  transcript tc, ts;
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/many"}).ok());
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/few"}).ok());
  pump(c, s, tc, ts, [](server_session& srv, const event& e) {
    static constexpr field many[] = {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}};
    if (const auto* h = std::get_if<request_head>(&e)) {
      const bool big = h->path == "/many";
      ASSERT_TRUE(srv.respond(h->stream, {.fields = big ? std::span<const field>(many) : std::span<const field>()}).ok());
    }
  });
  EXPECT_TRUE(tc.has("closed 1 INTERNAL_ERROR"));
  EXPECT_FALSE(tc.has("head 1 200 end"));
  EXPECT_TRUE(tc.has("head 3 200 end"));
  EXPECT_TRUE(tc.has("closed 3 NO_ERROR"));
}

TEST_F(raw_peer_test, AStatusOutsideOneHundredToFiveNinetyNineResetsItsStream) {
  // "\x08\x03" + digits: :status (static index 8) with a literal value, not indexed.
  ASSERT_TRUE(c.feed(frame(headers_type, end_headers | end_stream, 1, std::string("\x08\x03" "099", 5))).ok());
  ASSERT_TRUE(c.feed(frame(headers_type, end_headers | end_stream, 3, std::string("\x08\x03" "600", 5))).ok());
  ASSERT_TRUE(c.feed(frame(headers_type, end_headers | end_stream, 5, std::string("\x08\x03" "599", 5))).ok());
  drain(c, t);
  const std::vector<frame_info> sent = frames_in(output_of(c));
  drain(c, t);
  EXPECT_TRUE(t.has("closed 1 PROTOCOL_ERROR"));
  EXPECT_TRUE(t.has("closed 3 PROTOCOL_ERROR"));
  EXPECT_TRUE(t.has("head 5 599 end"));
  EXPECT_FALSE(t.has("head 1 99 end"));
  std::size_t resets = 0;
  for (const frame_info& f : sent) resets += f.type == rst_type;
  EXPECT_EQ(resets, 2u);
}

TEST(ClientSession, ShutdownSendsGoawayAndLeavesOpenStreamsNamed) {
  client_session c;
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  transcript t;
  ASSERT_TRUE(c.shutdown(error_code::no_error).ok());
  const std::vector<frame_info> fs = frames_in(output_of(c));
  ASSERT_FALSE(fs.empty());
  EXPECT_EQ(fs.back().type, goaway_type);
  drain(c, t);
  EXPECT_TRUE(t.has("goaway_sent 0 NO_ERROR"));
  EXPECT_FALSE(c.wants_read());
  EXPECT_FALSE(c.wants_write());
  EXPECT_FALSE(c.submit({.authority = "a", .path = "/"}).ok());
}

struct bad_request_case {
  const char* name;
  request r;
};

TEST(ClientSession, InvalidRequestsAreRefusedAsValuesWithoutSideEffects) {
  static constexpr field upper[] = {{"Accept", "*/*"}};
  static constexpr field conn[] = {{"connection", "keep-alive"}};
  static constexpr field te[] = {{"te", "gzip"}};
  static constexpr field nl[] = {{"x", "a\r\nb: c"}};
  static constexpr field empty_name[] = {{"", "v"}};
  const bad_request_case cases[] = {
      {"an uppercase field name", {.authority = "a", .fields = upper}},
      {"a connection field", {.authority = "a", .fields = conn}},
      {"te other than trailers", {.authority = "a", .fields = te}},
      {"a value with CRLF", {.authority = "a", .fields = nl}},
      {"an empty field name", {.authority = "a", .fields = empty_name}},
      {"an empty path", {.authority = "a", .path = ""}},
      {"a method with a space", {.method = "GE T", .authority = "a"}},
      {"a scheme other than http(s)", {.scheme = "ftp", .authority = "a"}},
      {"an authority with a space", {.authority = "a b"}},
  };
  client_session c;
  for (const bad_request_case& bad : cases) {
    auto id = c.submit(bad.r);
    ASSERT_FALSE(id.ok()) << bad.name;
    EXPECT_FALSE(id.error().fatal()) << bad.name;
    EXPECT_FALSE(id.error().describe().empty()) << bad.name;
  }
  EXPECT_EQ(c.open_streams(), 0u);
  EXPECT_EQ(*c.submit({.authority = "a"}), 1);
  static constexpr field trailers_te[] = {{"te", "trailers"}};
  EXPECT_EQ(*c.submit({.authority = "a", .fields = trailers_te}), 3);
}

}  // namespace
}  // namespace barrage::h2
