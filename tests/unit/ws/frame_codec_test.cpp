// The frame codec against RFC 6455's examples and hand-built frames: every split point of the
// input, fragmentation with control frames between fragments, close codes, the limits, and the
// masking rules of each role.
#include "ws/frame_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrage::ws {
namespace {

// One frame's bytes; masked with `key` when `masked`.
std::string frame(bool fin, std::uint8_t opcode, std::string_view payload, bool masked,
                  std::uint32_t key = 0x37fa213d) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | opcode);
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f += static_cast<char>(mask_bit | payload.size());
  } else if (payload.size() < 65536) {
    f += static_cast<char>(mask_bit | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  } else {
    f += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((payload.size() >> (8 * i)) & 0xff);
  }
  const char k[4] = {static_cast<char>(key >> 24), static_cast<char>(key >> 16), static_cast<char>(key >> 8),
                     static_cast<char>(key)};
  if (masked) f.append(k, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f += masked ? static_cast<char>(payload[i] ^ k[i % 4]) : payload[i];
  return f;
}

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xff);
  p.append(reason);
  return p;
}

// Events of feeding `input` in pieces cut at `cuts` (sorted offsets), copied out.
std::vector<event> feed_split(frame_codec& c, std::string_view input, std::vector<std::size_t> cuts) {
  std::vector<event> all;
  std::size_t at = 0;
  cuts.push_back(input.size());
  for (std::size_t cut : cuts) {
    for (const event& e : c.feed(input.substr(at, cut - at))) all.push_back(e);
    at = cut;
  }
  return all;
}

std::vector<event> feed_all(frame_codec& c, std::string_view input) { return feed_split(c, input, {}); }

const std::string rfc_masked_hello = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
const std::string rfc_unmasked_hello = "\x81\x05\x48\x65\x6c\x6c\x6f";

TEST(WsFrameCodec, RfcsMaskedHelloReachesTheServerWhateverTheSplitPoint) {
  for (std::size_t cut = 0; cut <= rfc_masked_hello.size(); ++cut) {
    frame_codec server(role::server);
    const auto events = feed_split(server, rfc_masked_hello, {cut});
    ASSERT_EQ(events.size(), 1u) << "cut at " << cut;
    const auto* m = std::get_if<message>(&events[0]);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->kind, message_kind::text);
    EXPECT_EQ(m->data, "Hello");
  }
}

TEST(WsFrameCodec, RfcsUnmaskedHelloReachesTheClientByteByByte) {
  frame_codec client(role::client);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < rfc_unmasked_hello.size(); ++i) cuts.push_back(i);
  const auto events = feed_split(client, rfc_unmasked_hello, cuts);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<message>(events[0]).data, "Hello");
}

TEST(WsFrameCodec, TheServerRefusesAnUnmaskedFrameWithCloseCode1002) {
  frame_codec server(role::server);
  const auto events = feed_all(server, rfc_unmasked_hello);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<protocol_error>(events[0]).code, close_code::protocol_error);
  EXPECT_EQ(server.pending_output(), std::string_view("\x88\x02\x03\xea", 4));
  EXPECT_FALSE(server.wants_read());
  server.consume_output(server.pending_output().size());
  EXPECT_TRUE(server.finished());
}

TEST(WsFrameCodec, TheClientRefusesAMaskedFrameWithCloseCode1002) {
  frame_codec client(role::client);
  const auto events = feed_all(client, rfc_masked_hello);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<protocol_error>(events[0]).code, close_code::protocol_error);
}

TEST(WsFrameCodec, FragmentsAreJoinedAndAPingBetweenThemIsAnsweredAtOnce) {
  const std::string input = frame(false, 0x1, "Hel", true) + frame(true, 0x9, "p!", true) +
                            frame(false, 0x0, "lo, ", true) + frame(true, 0x0, "world", true);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    frame_codec server(role::server);
    const auto events = feed_split(server, input, {cut});
    ASSERT_EQ(events.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(std::get<ping>(events[0]).data, "p!");
    EXPECT_EQ(std::get<message>(events[1]).data, "Hello, world");
    EXPECT_EQ(server.pending_output(), frame(true, 0xA, "p!", false));  // the pong, unmasked
  }
}

TEST(WsFrameCodec, AMultiByteCharacterSplitAcrossFragmentsIsValidText) {
  frame_codec server(role::server);
  const std::string euro = "\xe2\x82\xac";
  const auto events = feed_all(server, frame(false, 0x1, euro.substr(0, 1), true) + frame(true, 0x0, euro.substr(1), true));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<message>(events[0]).data, euro);
}

struct close_case {
  const char* name;
  std::string payload;  // of the peer's close frame
  bool accepted;        // a peer_close event (else a protocol_error)
  std::uint16_t code;   // reported (peer_close) or sent (protocol_error)
  std::string reply;    // the close frame's payload we send
};

TEST(WsFrameCodec, APeersCloseIsReportedAndEchoedOrRefusedByCode) {
  const close_case cases[] = {
      {"normal with reason", close_payload(1000, "bye"), true, 1000, close_payload(1000, "bye")},
      {"going away", close_payload(1001), true, 1001, close_payload(1001)},
      {"application code", close_payload(4000), true, 4000, close_payload(4000)},
      {"no code", "", true, close_code::no_status, ""},
      {"one byte", std::string(1, '\x03'), false, 1002, close_payload(1002)},
      {"code 999", close_payload(999), false, 1002, close_payload(1002)},
      {"code 1005 is never sent", close_payload(1005), false, 1002, close_payload(1002)},
      {"reason not UTF-8", close_payload(1000, "\xff"), false, 1007, close_payload(1007)},
  };
  for (const auto& c : cases) {
    frame_codec server(role::server);
    const auto events = feed_all(server, frame(true, 0x8, c.payload, true));
    ASSERT_EQ(events.size(), 1u) << c.name;
    if (c.accepted) {
      const auto& pc = std::get<peer_close>(events[0]);
      EXPECT_EQ(pc.code, c.code) << c.name;
      EXPECT_TRUE(server.close_received()) << c.name;
    } else {
      EXPECT_EQ(std::get<protocol_error>(events[0]).code, c.code) << c.name;
    }
    EXPECT_EQ(server.pending_output(), frame(true, 0x8, c.reply, false)) << c.name;
    server.consume_output(server.pending_output().size());
    EXPECT_TRUE(server.finished()) << c.name;
  }
}

struct violation_case {
  const char* name;
  std::string input;
  std::uint16_t code;
};

TEST(WsFrameCodec, AFrameBreakingARuleClosesWithItsCode) {
  const std::string big(11, 'x');
  const violation_case cases[] = {
      {"message above the limit", frame(true, 0x2, big, true), 1009},
      {"fragments joined above the limit", frame(false, 0x2, "xxxxxx", true) + frame(true, 0x0, "xxxxx", true), 1009},
      {"text not UTF-8", frame(true, 0x1, "ok\xc0\xaf", true), 1007},
      {"text ending mid-character", frame(true, 0x1, "\xe2\x82", true), 1007},
      {"encoded surrogate", frame(true, 0x1, "\xed\xa0\x80", true), 1007},
      {"reserved opcode 3", frame(true, 0x3, "", true), 1002},
      {"reserved control opcode B", frame(true, 0xB, "", true), 1002},
      {"RSV1 without an extension", std::string("\xC1\x80\x00\x00\x00\x00", 6), 1002},
      {"fragmented ping", frame(false, 0x9, "", true), 1002},
      {"ping of 126 bytes", frame(true, 0x9, std::string(126, 'p'), true), 1002},
      {"64-bit length with its top bit set", std::string("\x82\xff\x80\0\0\0\0\0\0\0", 10), 1002},
      {"16-bit length below 126", std::string("\x82\xfe\x00\x7d", 4), 1002},
      {"64-bit length below 65536", std::string("\x82\xff\0\0\0\0\0\0\xff\xff", 10), 1002},
      {"a good frame, then a fragmented close",
       frame(true, 0x2, "ok", true) + frame(false, 0x8, "", true), 1002},
      {"continuation without a start", frame(true, 0x0, "x", true), 1002},
      {"new message inside a fragmented one", frame(false, 0x1, "a", true) + frame(true, 0x1, "b", true), 1002},
  };
  for (const auto& c : cases) {
    frame_codec server(role::server, {.max_message_bytes = 10});
    const auto events = feed_all(server, c.input);
    ASSERT_FALSE(events.empty()) << c.name;
    const auto* err = std::get_if<protocol_error>(&events.back());
    ASSERT_NE(err, nullptr) << c.name;
    EXPECT_EQ(err->code, c.code) << c.name;
    EXPECT_EQ(server.pending_output(), frame(true, 0x8, close_payload(c.code), false)) << c.name;
    EXPECT_FALSE(server.wants_read()) << c.name;
    EXPECT_TRUE(server.feed(rfc_masked_hello).empty()) << c.name << ": input after the close is ignored";
  }
}

TEST(WsFrameCodec, AMessageAtTheLimitIsAccepted) {
  frame_codec server(role::server, {.max_message_bytes = 10});
  const auto events = feed_all(server, frame(false, 0x2, "xxxxx", true) + frame(true, 0x0, "yyyyy", true));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<message>(events[0]).data, "xxxxxyyyyy");
}

TEST(WsFrameCodec, AClientAndAServerExchangeMessagesMaskedOneWayOnly) {
  std::uint8_t counter = 1;
  frame_codec client(role::client, {}, [&](std::span<std::uint8_t> out) {
    for (auto& b : out) b = counter++;
  });
  frame_codec server(role::server);
  const std::string large(70000, 'z');  // a 64-bit length
  ASSERT_TRUE(client.queue_message(message_kind::text, "héllo").ok());
  ASSERT_TRUE(client.queue_message(message_kind::binary, std::string("\x00\xff", 2)).ok());
  ASSERT_TRUE(client.queue_message(message_kind::binary, large).ok());
  ASSERT_TRUE(client.queue_ping("rtt").ok());
  const std::string wire(client.pending_output());
  ASSERT_GE(wire.size(), 2u);
  EXPECT_EQ(static_cast<std::uint8_t>(wire[1]) & 0x80, 0x80) << "client frames are masked";
  client.consume_output(wire.size());
  const auto at_server = feed_all(server, wire);
  ASSERT_EQ(at_server.size(), 4u);
  EXPECT_EQ(std::get<message>(at_server[0]).data, "héllo");
  EXPECT_EQ(std::get<message>(at_server[1]).kind, message_kind::binary);
  EXPECT_EQ(std::get<message>(at_server[1]).data, std::string("\x00\xff", 2));
  EXPECT_EQ(std::get<message>(at_server[2]).data, large);
  EXPECT_EQ(std::get<ping>(at_server[3]).data, "rtt");
  // The server echoes; its frames are not masked, and the client sees the pong too.
  ASSERT_TRUE(server.queue_message(message_kind::text, "héllo").ok());
  const std::string back(server.pending_output());
  EXPECT_EQ(back, frame(true, 0xA, "rtt", false) + frame(true, 0x1, "héllo", false));
  server.consume_output(back.size());
  const auto at_client = feed_all(client, back);
  ASSERT_EQ(at_client.size(), 2u);
  EXPECT_EQ(std::get<pong>(at_client[0]).data, "rtt");
  EXPECT_EQ(std::get<message>(at_client[1]).data, "héllo");
  // The client closes; the server echoes; both are finished once the bytes are taken.
  ASSERT_TRUE(client.queue_close(close_code::normal, "done").ok());
  const auto closing = feed_all(server, std::string(client.pending_output()));
  client.consume_output(client.pending_output().size());
  ASSERT_EQ(closing.size(), 1u);
  EXPECT_EQ(std::get<peer_close>(closing[0]).reason, "done");
  const auto closed = feed_all(client, std::string(server.pending_output()));
  server.consume_output(server.pending_output().size());
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(std::get<peer_close>(closed[0]).code, close_code::normal);
  EXPECT_TRUE(client.finished());
  EXPECT_TRUE(server.finished());
}

TEST(WsFrameCodec, QueueingRefusesWhatTheProtocolForbids) {
  frame_codec server(role::server);
  EXPECT_EQ(server.queue_ping(std::string(126, 'p')).error(), queue_error::control_too_large);
  EXPECT_EQ(server.queue_message(message_kind::text, "\xff").error(), queue_error::invalid_utf8);
  EXPECT_EQ(server.queue_close(close_code::normal, "\xff").error(), queue_error::invalid_utf8);
  EXPECT_TRUE(server.queue_message(message_kind::binary, "\xff").ok());
  ASSERT_TRUE(server.queue_close(close_code::going_away).ok());
  EXPECT_TRUE(server.close_sent());
  EXPECT_EQ(server.queue_message(message_kind::binary, "x").error(), queue_error::closing);
  EXPECT_EQ(server.queue_close(close_code::normal).error(), queue_error::closing);
  EXPECT_FALSE(server.finished()) << "the peer's close has not come";
}

TEST(WsFrameCodec, OutputConsumedInPiecesComesOutInOrder) {
  frame_codec server(role::server);
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    const std::string m(1000, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(server.queue_message(message_kind::binary, m).ok());
    expected += frame(true, 0x2, m, false);
  }
  std::string got;
  while (!server.pending_output().empty()) {
    const auto n = std::min<std::size_t>(777, server.pending_output().size());
    got.append(server.pending_output().substr(0, n));
    server.consume_output(n);
  }
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace barrage::ws
