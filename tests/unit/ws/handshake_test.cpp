// The opening handshake: RFC 6455's sample key, and tables of good and bad heads each side sees.
#include "ws/handshake.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace barrage::ws {
namespace {

TEST(WsHandshake, TheAcceptValueOfRfc6455sSampleKeyIsTheRfcs) {
  EXPECT_EQ(accept_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, AClientKeyIsTheBase64OfItsSixteenByteNonce) {
  // RFC 6455 §1.3: the sample key is the base64 of "the sample nonce".
  const std::string_view nonce_text = "the sample nonce";
  std::array<std::uint8_t, 16> nonce{};
  std::copy(nonce_text.begin(), nonce_text.end(), nonce.begin());
  const std::string key = make_client_key(nonce);
  EXPECT_EQ(key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_TRUE(valid_client_key(key));
}

struct key_case {
  const char* name;
  std::string_view key;
  bool valid;
};

TEST(WsHandshake, OnlyTheBase64OfSixteenBytesIsAValidKey) {
  const key_case cases[] = {
      {"rfc sample", "dGhlIHNhbXBsZSBub25jZQ==", true},
      {"all zero", "AAAAAAAAAAAAAAAAAAAAAA==", true},
      {"empty", "", false},
      {"fifteen bytes", "dGhlIHNhbXBsZSBub25j", false},
      {"seventeen bytes", "dGhlIHNhbXBsZSBub25jZQE=", false},
      {"no padding", "dGhlIHNhbXBsZSBub25jZQ", false},
      {"bad character", "dGhlIHNhbXBsZSBub25j*Q==", false},
      {"trailing bits set", "dGhlIHNhbXBsZSBub25jZR==", false},
  };
  for (const auto& c : cases) EXPECT_EQ(valid_client_key(c.key), c.valid) << c.name;
}

// Parses a request head; the fields' storage lives in the fixture.
struct parsed_request {
  std::string text;
  std::array<http::header, 32> fields{};
  http::request_parser parser{fields};
  explicit parsed_request(std::string t) : text(std::move(t)) {
    const auto st = parser.parse(text);
    EXPECT_TRUE(st.complete()) << text;
  }
};

const std::string good_request =
    "GET /ws/echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\nOrigin: http://example.com\r\n\r\n";

TEST(WsHandshake, AValidUpgradeRequestYieldsItsKeyOffersAndOrigin) {
  parsed_request r(good_request);
  auto up = check_upgrade_request(r.parser.head());
  ASSERT_TRUE(up.ok()) << to_string(up.error());
  EXPECT_EQ(up->key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(up->subprotocols, (std::vector<std::string_view>{"chat", "superchat"}));
  EXPECT_EQ(up->origin, "http://example.com");
}

struct request_case {
  const char* name;
  std::string from, to;  // replaced in good_request
  handshake_error error;
};

TEST(WsHandshake, AnUpgradeRequestBreakingOneRuleIsRefusedWithThatRule) {
  const request_case cases[] = {
      {"not a GET", "GET /ws", "POST /ws", handshake_error::not_get},
      {"HTTP/1.0", "HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost", handshake_error::not_http_1_1},
      {"no Upgrade", "Upgrade: websocket\r\n", "", handshake_error::not_upgrade},
      {"Upgrade to another protocol", "Upgrade: websocket", "Upgrade: h2c", handshake_error::not_upgrade},
      {"Connection without upgrade", "Connection: keep-alive, Upgrade", "Connection: keep-alive",
       handshake_error::missing_connection_upgrade},
      {"no version", "Sec-WebSocket-Version: 13\r\n", "", handshake_error::bad_version},
      {"version 8", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", handshake_error::bad_version},
      {"no key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", handshake_error::bad_key},
      {"short key", "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==", handshake_error::bad_key},
      {"a body", "Origin:", "Content-Length: 3\r\nOrigin:", handshake_error::has_body},
  };
  for (const auto& c : cases) {
    std::string text = good_request;
    const auto at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.name;
    text.replace(at, c.from.size(), c.to);
    parsed_request r(text);
    auto up = check_upgrade_request(r.parser.head());
    ASSERT_FALSE(up.ok()) << c.name;
    EXPECT_EQ(up.error(), c.error) << c.name << ": " << to_string(up.error());
  }
}

struct parsed_response {
  std::string text;
  std::array<http::header, 32> fields{};
  http::response_parser parser{fields};
  explicit parsed_response(std::string t) : text(std::move(t)) {
    const auto st = parser.parse(text);
    EXPECT_TRUE(st.complete()) << text;
  }
};

TEST(WsHandshake, TheServersAcceptResponsePassesTheClientsCheck) {
  const std::vector<std::string> offers{"chat", "superchat"};
  parsed_response r(build_accept_response("dGhlIHNhbXBsZSBub25jZQ==", "chat"));
  auto reply = check_server_response(r.parser.head(), "dGhlIHNhbXBsZSBub25jZQ==", offers);
  ASSERT_TRUE(reply.ok()) << to_string(reply.error());
  EXPECT_EQ(reply->subprotocol, "chat");
}

struct response_case {
  const char* name;
  std::string text;
  handshake_error error;
};

TEST(WsHandshake, AServerResponseBreakingOneRuleIsRefusedWithThatRule) {
  const std::string ok_head = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  const std::string accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  const response_case cases[] = {
      {"200 instead of 101", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
       handshake_error::not_switching_protocols},
      {"no Upgrade", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n" + accept + "\r\n",
       handshake_error::missing_upgrade},
      {"no Connection", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" + accept + "\r\n",
       handshake_error::missing_connection},
      {"no Accept", "HTTP/1.1 101 Switching Protocols\r\n" + ok_head + "\r\n", handshake_error::bad_accept},
      {"wrong Accept",
       "HTTP/1.1 101 Switching Protocols\r\n" + ok_head + "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
       handshake_error::bad_accept},
      {"unoffered subprotocol",
       "HTTP/1.1 101 Switching Protocols\r\n" + ok_head + accept + "Sec-WebSocket-Protocol: mqtt\r\n\r\n",
       handshake_error::unoffered_subprotocol},
      {"unoffered extension",
       "HTTP/1.1 101 Switching Protocols\r\n" + ok_head + accept +
           "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
       handshake_error::unoffered_extension},
  };
  const std::vector<std::string> offers{"chat"};
  for (const auto& c : cases) {
    parsed_response r(c.text);
    auto reply = check_server_response(r.parser.head(), "dGhlIHNhbXBsZSBub25jZQ==", offers);
    ASSERT_FALSE(reply.ok()) << c.name;
    EXPECT_EQ(reply.error(), c.error) << c.name << ": " << to_string(reply.error());
  }
}

TEST(WsHandshake, TheServersChoiceOfAnOfferedSubprotocolIsKeptAndNoChoiceIsAccepted) {
  const std::string ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  const std::vector<std::string> offers{"chat.v1", "chat.v2"};
  parsed_response chose(ok + "Sec-WebSocket-Protocol: chat.v2\r\n\r\n");
  auto reply = check_server_response(chose.parser.head(), "dGhlIHNhbXBsZSBub25jZQ==", offers);
  ASSERT_TRUE(reply.ok()) << to_string(reply.error());
  EXPECT_EQ(reply->subprotocol, "chat.v2");
  parsed_response none(ok + "\r\n");  // RFC 6455 §4.1: the server may choose none of the offers
  reply = check_server_response(none.parser.head(), "dGhlIHNhbXBsZSBub25jZQ==", offers);
  ASSERT_TRUE(reply.ok()) << to_string(reply.error());
  EXPECT_EQ(reply->subprotocol, "");
}

TEST(WsHandshake, EachRuleHasAReasonKeyNamedAfterIt) {
  EXPECT_EQ(to_key(handshake_error::unoffered_subprotocol), "unoffered_subprotocol");
  EXPECT_EQ(to_key(handshake_error::bad_accept), "bad_accept");
  EXPECT_EQ(to_key(handshake_error::missing_upgrade), "missing_upgrade");
  EXPECT_EQ(to_key(handshake_error::unoffered_extension), "unoffered_extension");
}

TEST(WsHandshake, SubprotocolNamesAreTokens) {
  const std::pair<const char*, bool> names[] = {
      {"chat.v2", true},  {"mqtt", true},        {"graphql-transport-ws", true}, {"v1!#$%&'*+-.^_`|~", true},
      {"", false},        {"a b", false},        {"a,b", false},                 {"\"quoted\"", false},
      {"a/b", false},     {"caf\xc3\xa9", false}, {"tab\t", false},
  };
  for (const auto& [name, ok] : names) EXPECT_EQ(valid_subprotocol(name), ok) << name;
}

TEST(WsHandshake, TheClientsUpgradeRequestPassesTheServersCheck) {
  const std::vector<std::string> offers{"chat"};
  const std::vector<std::pair<std::string, std::string>> extra{{"Origin", "http://o"}};
  parsed_request r(build_upgrade_request(
      {.host = "127.0.0.1:8080", .target = "/ws/feed?size=3", .key = "dGhlIHNhbXBsZSBub25jZQ==",
       .subprotocols = offers, .extra_headers = extra}));
  EXPECT_EQ(r.parser.head().target, "/ws/feed?size=3");
  auto up = check_upgrade_request(r.parser.head());
  ASSERT_TRUE(up.ok()) << to_string(up.error());
  EXPECT_EQ(up->subprotocols, (std::vector<std::string_view>{"chat"}));
  EXPECT_EQ(up->origin, "http://o");
}

}  // namespace
}  // namespace barrage::ws
