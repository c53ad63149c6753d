// The server session against a client session in memory, and against raw bytes.
#include "h2/server_session.hpp"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "h2_harness.hpp"

namespace barrage::h2 {
namespace {

using namespace testing;

TEST(ServerSession, ARequestHeadCarriesItsPseudoHeadersFieldsAndBody) {
  client_session c;
  server_session s;
  transcript tc, ts;
  const field fs[] = {{"content-type", "application/json"}, {"x-trace", "42"}};
  ASSERT_TRUE(c.submit({.method = "PUT", .scheme = "https", .authority = "api.test", .path = "/v1/items/7", .fields = fs,
                        .body = R"({"n":7})"})
                  .ok());
  pump(c, s, tc, ts, answer_with(""));
  EXPECT_EQ(ts.lines, (std::vector<std::string>{"settings", "request 1 PUT https://api.test/v1/items/7", "end 1",
                                                "closed 1 NO_ERROR"}));
  EXPECT_EQ(ts.fields[1], (std::vector<std::pair<std::string, std::string>>{{"content-type", "application/json"},
                                                                            {"x-trace", "42"}}));
  EXPECT_EQ(ts.bodies[1], R"({"n":7})");
  EXPECT_TRUE(tc.has("head 1 200 end"));
  EXPECT_EQ(s.open_streams(), 0u);
}

TEST(ServerSession, EverySplitPointOfTheClientsFirstFlightYieldsTheSameRequest) {
  client_session c;
  const field fs[] = {{"user-agent", "barrage-test"}, {"x-request-id", "0123456789abcdef"}};
  ASSERT_TRUE(c.submit({.method = "POST", .authority = "split.test", .path = "/a/b?c=d", .fields = fs, .body = "payload"}).ok());
  const std::string flight = output_of(c);
  transcript whole;
  {
    server_session s;
    ASSERT_TRUE(s.feed(flight).ok());
    drain(s, whole);
  }
  ASSERT_EQ(whole.lines, (std::vector<std::string>{"settings", "request 1 POST http://split.test/a/b?c=d", "end 1"}));
  ASSERT_EQ(whole.fields[1].size(), 2u);
  for (std::size_t cut = 0; cut <= flight.size(); ++cut) {
    server_session s;
    transcript t;
    ASSERT_TRUE(s.feed(std::string_view(flight).substr(0, cut)).ok()) << "cut at " << cut;
    drain(s, t);  // clears the events, and their bytes, between the pieces
    ASSERT_TRUE(s.feed(std::string_view(flight).substr(cut)).ok()) << "cut at " << cut;
    drain(s, t);
    EXPECT_EQ(t.lines, whole.lines) << "cut at " << cut;
    EXPECT_EQ(t.fields, whole.fields) << "cut at " << cut;
    EXPECT_EQ(t.bodies, whole.bodies) << "cut at " << cut;
  }
}

TEST(ServerSession, ManyStreamsOnOneConnectionAreAnsweredEachOnItsOwnStream) {
  client_session c;
  server_session s;
  transcript tc, ts;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  EXPECT_EQ(c.open_streams(), 50u);
  pump(c, s, tc, ts, answer_with("ok"));
  for (int id = 1; id < 100; id += 2) {
    EXPECT_TRUE(tc.has("closed " + std::to_string(id) + " NO_ERROR")) << id;
    EXPECT_EQ(tc.bodies[id], "ok") << id;
  }
  EXPECT_EQ(c.open_streams(), 0u);
}

TEST(ServerSession, ItsMaxConcurrentStreamsHoldsTheClientsExtraRequestsUntilStreamsClose) {
  client_session c;
  server_session s({.max_concurrent_streams = 2});
  transcript tc, ts;
  // The server's SETTINGS first, so that the client knows the limit before it sends.
  ASSERT_TRUE(s.feed(output_of(c)).ok());
  drain(s, ts);
  ASSERT_TRUE(c.feed(output_of(s)).ok());
  drain(c, tc);
  EXPECT_EQ(tc.last_settings.max_concurrent_streams, 2u);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  EXPECT_EQ(c.free_slots(), 0u);
  ASSERT_TRUE(s.feed(output_of(c)).ok());
  EXPECT_EQ(s.open_streams(), 2u);
  const server_handler answer = answer_with("ok");
  std::size_t heads = 0;
  for (const event& e : s.events()) {
    heads += std::holds_alternative<request_head>(e);
    answer(s, e);
  }
  s.clear_events();
  EXPECT_EQ(heads, 2u);
  pump(c, s, tc, ts, answer);
  for (int id = 1; id <= 11; id += 2) EXPECT_TRUE(tc.has("closed " + std::to_string(id) + " NO_ERROR")) << id;
}

TEST(ServerSession, RequestsBeyondItsLimitSentBeforeItsSettingsAreRefusedBeforeAnyEvent) {
  client_session c;  // assumes 100 streams until the server's SETTINGS arrive
  server_session s({.max_concurrent_streams = 2});
  transcript tc, ts;
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  pump(c, s, tc, ts, answer_with("ok"));
  std::size_t ok = 0, refused = 0, heads = 0;
  for (int id = 1; id <= 11; id += 2) {
    ok += tc.has("closed " + std::to_string(id) + " NO_ERROR");
    refused += tc.has("closed " + std::to_string(id) + " REFUSED_STREAM");
  }
  for (const std::string& l : ts.lines) heads += l.starts_with("request ");
  EXPECT_EQ(ok, heads);
  EXPECT_GE(ok, 2u);
  EXPECT_EQ(ok + refused, 6u);
  EXPECT_EQ(s.open_streams(), 0u);
}

TEST(ServerSession, AWrongClientPrefaceIsAFatalError) {
  server_session s;
  auto fed = s.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_FALSE(fed.ok());
  EXPECT_TRUE(fed.error().fatal());
  EXPECT_FALSE(fed.error().describe().empty());
}

TEST(ServerSession, RespondingOnAStreamThatIsNotOpenFailsAsAValue) {
  server_session s;
  auto r = s.respond(1, {.status = 200});
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().fatal());
}

TEST(ServerSession, ASecondResponseOnTheSameStreamIsRefused) {
  client_session c;
  server_session s;
  transcript tc, ts;
  ASSERT_TRUE(c.submit({.authority = "a"}).ok());
  ASSERT_TRUE(s.feed(output_of(c)).ok());
  drain(s, ts);
  ASSERT_TRUE(s.respond(1, {.status = 200, .body = "first"}).ok());
  auto again = s.respond(1, {.status = 500});
  ASSERT_FALSE(again.ok());
  EXPECT_FALSE(again.error().fatal());
  pump(c, s, tc, ts, nullptr);
  EXPECT_TRUE(tc.has("head 1 200"));
  EXPECT_EQ(tc.bodies[1], "first");
  EXPECT_TRUE(tc.has("closed 1 NO_ERROR"));
}

TEST(ServerSession, AStatusOutsideTwoHundredToFiveNinetyNineIsRefused) {
  client_session c;
  server_session s;
  ASSERT_TRUE(c.submit({.authority = "a"}).ok());
  ASSERT_TRUE(s.feed(output_of(c)).ok());
  s.clear_events();
  for (int status : {0, 99, 101, 600}) EXPECT_FALSE(s.respond(1, {.status = status}).ok()) << status;
  EXPECT_TRUE(s.respond(1, {.status = 503}).ok());
}

TEST(ServerSession, AClientResetIsAResetEventAndClosesTheRequestsStream) {
  client_session c;
  server_session s;
  transcript tc, ts;
  auto id = c.submit({.method = "POST", .authority = "a", .path = "/slow", .body = std::string_view("part")});
  ASSERT_TRUE(id.ok());
  pump(c, s, tc, ts, nullptr);  // the server does not answer
  ASSERT_TRUE(c.reset_stream(*id, error_code::cancel).ok());
  pump(c, s, tc, ts, nullptr);
  EXPECT_TRUE(ts.has("reset 1 CANCEL"));
  EXPECT_TRUE(ts.has("closed 1 CANCEL"));
  EXPECT_TRUE(tc.has("closed 1 CANCEL"));
  EXPECT_EQ(s.open_streams(), 0u);
}

TEST(ServerSession, ShutdownIsAGoawayEventForTheClientWithTheLastStreamProcessed) {
  client_session c;
  server_session s;
  transcript tc, ts;
  ASSERT_TRUE(c.submit({.authority = "a"}).ok());
  pump(c, s, tc, ts, answer_with("x"));
  ASSERT_TRUE(s.shutdown(error_code::no_error).ok());
  pump(c, s, tc, ts, nullptr);
  EXPECT_TRUE(ts.has("goaway_sent 1 NO_ERROR"));
  EXPECT_TRUE(tc.has("goaway 1 NO_ERROR"));
  EXPECT_FALSE(s.wants_read());
  EXPECT_FALSE(c.submit({.authority = "a"}).ok());
}

}  // namespace
}  // namespace barrage::h2

namespace barrage::h2 {
namespace {

using namespace testing;

constexpr std::uint8_t continuation_type = 0x9;
// :method GET, :scheme http, :path /, :authority a (HPACK static table and one literal).
const std::string get_block = std::string("\x82\x86\x84\x41\x01" "a", 6);

TEST(ServerSessionUnderAttack, ARapidResetFloodEndsTheSessionAfterTheThousandthReset) {
  // CVE-2023-44487: streams opened and cancelled at once, many times. nghttp2's token bucket
  // (1000 resets, 33 more a second) answers the 1001st with GOAWAY; the streams of that one
  // feed are still reported, each closed, and nothing is read after. (The session's own flood
  // guard, off here, answers sooner: the tests below.)
  server_session s{{.flood_burst = 0}};
  transcript t;
  std::string flood = std::string(client_preface) + frame(settings_type, 0, 0, "");
  for (std::int32_t id = 1; id < 2 * 5000; id += 2)
    flood += frame(headers_type, 0x5, id, get_block) + frame(rst_type, 0, id, u32(0x8));
  ASSERT_TRUE(s.feed(flood).ok());
  drain(s, t);
  (void)output_of(s);
  drain(s, t);
  EXPECT_TRUE(t.has("goaway_sent 2001 INTERNAL_ERROR"));
  EXPECT_FALSE(s.wants_read());
  EXPECT_FALSE(s.wants_write());
  EXPECT_EQ(s.open_streams(), 0u);
}

TEST(ServerSessionUnderAttack, APingFloodWhoseAcksPileUpIsAFatalError) {
  // Frames that each owe an answer, faster than the answers are taken: nghttp2 stops at 1000
  // pending ACKs (NGHTTP2_ERR_FLOODED) rather than queueing without bound.
  server_session s{{.flood_burst = 0}};
  std::string flood = std::string(client_preface) + frame(settings_type, 0, 0, "");
  for (int i = 0; i < 5000; ++i) flood += frame(0x6, 0, 0, "pingping");
  auto fed = s.feed(flood);
  ASSERT_FALSE(fed.ok());
  EXPECT_TRUE(fed.error().fatal());
  EXPECT_EQ(fed.error().lib_code, NGHTTP2_ERR_FLOODED);
}

TEST(ServerSessionUnderAttack, AContinuationFloodEndsTheSession) {
  // CVE-2024-28182: one header block in endless CONTINUATION frames.
  server_session s;
  transcript t;
  std::string flood = std::string(client_preface) + frame(settings_type, 0, 0, "") + frame(headers_type, 0x1, 1, get_block);
  for (int i = 0; i < 10000; ++i) flood += frame(continuation_type, 0, 1, std::string("\x40\x01x\x01y", 5));
  std::string_view in = flood;
  bool failed = false;
  for (int calls = 0; !in.empty() && calls < 100000; ++calls) {
    auto fed = s.feed(in);
    if (!fed.ok()) {
      failed = fed.error().fatal();
      break;
    }
    in.remove_prefix(*fed);
    drain(s, t);
  }
  (void)output_of(s);
  drain(s, t);
  bool goaway = false;
  for (const std::string& l : t.lines) goaway |= l.starts_with("goaway_sent");
  EXPECT_TRUE(failed || goaway);
  EXPECT_FALSE(t.has("request 1 GET http://a/"));
}

/// The GOAWAY lines of a transcript.
std::vector<std::string> goaways(const transcript& t) {
  std::vector<std::string> out;
  for (const std::string& l : t.lines)
    if (l.starts_with("goaway_sent")) out.push_back(l);
  return out;
}

TEST(ServerSessionUnderAttack, ARapidResetFloodMeetsTheFloodGuardWithEnhanceYourCalm) {
  server_session s{{.flood_burst = 100, .flood_per_second = 1}};
  transcript t;
  std::string flood = std::string(client_preface) + frame(settings_type, 0, 0, "");
  for (std::int32_t id = 1; id < 2 * 1000; id += 2)
    flood += frame(headers_type, 0x5, id, get_block) + frame(rst_type, 0, id, u32(0x8));
  ASSERT_TRUE(s.feed(flood).ok());
  drain(s, t);
  (void)output_of(s);
  drain(s, t);
  // The SETTINGS took one token, the first 99 resets the rest: the 100th reset is refused.
  EXPECT_EQ(goaways(t), std::vector<std::string>{"goaway_sent 199 ENHANCE_YOUR_CALM"});
  EXPECT_FALSE(s.wants_read());
  EXPECT_EQ(s.open_streams(), 0u);
}

TEST(ServerSessionUnderAttack, PingAndSettingsFloodsMeetTheFloodGuardEvenWhenTheAcksAreTaken) {
  for (const std::uint8_t type : {std::uint8_t{0x6}, settings_type}) {
    server_session s{{.flood_burst = 50, .flood_per_second = 1}};
    transcript t;
    ASSERT_TRUE(s.feed(std::string(client_preface) + frame(settings_type, 0, 0, "")).ok());
    bool ended = false;
    for (int i = 0; i < 200 && !ended; ++i) {
      auto fed = s.feed(frame(type, 0, 0, type == 0x6 ? "pingping" : ""));
      ASSERT_TRUE(fed.ok());
      drain(s, t);
      (void)output_of(s);  // a client that reads every ACK
      drain(s, t);
      ended = !s.wants_read();
    }
    EXPECT_TRUE(ended) << int(type);
    EXPECT_EQ(goaways(t), std::vector<std::string>{"goaway_sent 0 ENHANCE_YOUR_CALM"}) << int(type);
  }
}

TEST(ServerSessionUnderAttack, ControlFramesAtAModestRateNeverMeetTheGuard) {
  server_session s{{.flood_burst = 50, .flood_per_second = 1000000}};
  transcript t;
  ASSERT_TRUE(s.feed(std::string(client_preface) + frame(settings_type, 0, 0, "")).ok());
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(s.feed(frame(0x6, 0, 0, "pingping")).ok());
    (void)output_of(s);
    if (i % 40 == 39) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  drain(s, t);
  EXPECT_TRUE(goaways(t).empty());
  EXPECT_TRUE(s.wants_read());
}

TEST(ServerSession, AStreamingResponseSendsEachPieceAsItComesAndEndsWithTheLast) {
  server_session s;
  transcript t;
  ASSERT_TRUE(s.feed(std::string(client_preface) + frame(settings_type, 0, 0, "") + frame(headers_type, 0x5, 1, get_block)).ok());
  drain(s, t);
  ASSERT_TRUE(s.respond(1, {.status = 200, .streaming = true}).ok());
  const std::string first = output_of(s);
  EXPECT_NE(first.find(std::string("\x01\x04\x00\x00\x00\x01", 6)), std::string::npos);  // HEADERS, END_HEADERS only
  EXPECT_EQ(s.stream_body(1, "one", false).ok(), true);
  EXPECT_EQ(s.unsent(1), 3u);
  EXPECT_FALSE(s.stream_body(1, "too soon", false).ok());  // the first piece is not taken yet
  std::string out = output_of(s);
  EXPECT_EQ(s.unsent(1), 0u);
  EXPECT_NE(out.find(frame(0x0, 0, 1, "one")), std::string::npos);
  ASSERT_TRUE(s.stream_body(1, "two", true).ok());
  out = output_of(s);
  EXPECT_NE(out.find(frame(0x0, 0x1, 1, "two")), std::string::npos);  // END_STREAM with the last piece
  drain(s, t);
  EXPECT_TRUE(t.has("closed 1 NO_ERROR"));
  EXPECT_EQ(s.data_bytes_sent(), 6u);
}

TEST(ServerSession, AHeaderBlockOverTheLimitsIsCountedAndItsStreamReset) {
  server_session s{{.max_header_list_bytes = 200}};
  transcript t;
  std::string block = get_block;
  for (int i = 0; i < 10; ++i) block += std::string("\x40\x01x\x20", 4) + std::string(32, 'v');
  ASSERT_TRUE(s.feed(std::string(client_preface) + frame(settings_type, 0, 0, "") + frame(headers_type, 0x5, 1, block)).ok());
  drain(s, t);
  (void)output_of(s);
  drain(s, t);
  EXPECT_EQ(s.oversized_heads(), 1u);
  EXPECT_FALSE(t.has("request 1 GET http://a/ end"));
}

TEST(ServerSession, DrainSendsAGoawayAndLetsTheOpenStreamsFinish) {
  server_session s;
  transcript t;
  ASSERT_TRUE(s.feed(std::string(client_preface) + frame(settings_type, 0, 0, "") + frame(headers_type, 0x5, 1, get_block)).ok());
  drain(s, t);
  ASSERT_TRUE(s.drain().ok());
  (void)output_of(s);
  drain(s, t);
  EXPECT_EQ(goaways(t), std::vector<std::string>{"goaway_sent 1 NO_ERROR"});
  EXPECT_TRUE(s.wants_read());  // stream 1 is still open
  ASSERT_TRUE(s.respond(1, {.status = 200, .body = "late"}).ok());
  const std::string out = output_of(s);
  EXPECT_NE(out.find(frame(0x0, 0x1, 1, "late")), std::string::npos);
  drain(s, t);
  EXPECT_TRUE(t.has("closed 1 NO_ERROR"));
  EXPECT_FALSE(s.wants_read());
}

}  // namespace
}  // namespace barrage::h2
