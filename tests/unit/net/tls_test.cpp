#include "net/tls_session.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <string>

#include "net/tls_context.hpp"
#include "test_pki.hpp"
#include "tls_pair.hpp"

using namespace barrage;
using namespace barrage::net;
using barrage::test::test_pki;
using barrage::test::tls_pair;

namespace {

tls_context server_ctx(tls_server_options o = {}) {
  auto c = tls_context::server(o);
  if (!c) throw std::runtime_error(c.error());
  return *c;
}

tls_context client_ctx(tls_client_options o = {}) {
  auto c = tls_context::client(o);
  if (!c) throw std::runtime_error(c.error());
  return *c;
}

// A client that trusts the server context's self-signed certificate.
tls_client_options trusting(const tls_context& server, test_pki& pki, tls_client_options o = {}) {
  o.ca_file = pki.write("self-signed.crt", server.certificate_pem());
  return o;
}

tls_server_options only(tls_version v, tls_server_options o = {}) {
  o.min_version = o.max_version = v;
  return o;
}

// Both sides done, and the client can send and the server read.
void expect_round_trip(tls_pair& p, const std::string& text = "ping") {
  ASSERT_EQ(p.client.write(text), static_cast<long>(text.size()));
  EXPECT_EQ(tls_pair::deliver(p.client, p.server), text);
}

}  // namespace

TEST(tls_session, a_client_and_a_server_agree_on_tls_1_3_and_exchange_data) {
  test_pki pki;
  auto server = server_ctx();
  auto p = tls_pair::make(client_ctx(trusting(server, pki)), server);
  p.handshake();
  ASSERT_TRUE(p.ok()) << p.client.error().message;
  EXPECT_EQ(p.client.version(), "TLSv1.3");
  EXPECT_EQ(p.server.version(), "TLSv1.3");
  EXPECT_EQ(p.client.cipher(), p.server.cipher());
  EXPECT_FALSE(p.client.resumed());
  expect_round_trip(p, "GET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.server.write(std::string("HTTP/1.1 200 OK\r\n\r\n")), 19);
  EXPECT_EQ(tls_pair::deliver(p.server, p.client), "HTTP/1.1 200 OK\r\n\r\n");
}

TEST(tls_session, a_tls_1_2_only_server_gets_a_tls_1_2_handshake) {
  test_pki pki;
  auto server = server_ctx(only(tls_version::v1_2));
  auto p = tls_pair::make(client_ctx(trusting(server, pki)), server);
  p.handshake();
  ASSERT_TRUE(p.ok()) << p.client.error().message;
  EXPECT_EQ(p.client.version(), "TLSv1.2");
  EXPECT_EQ(p.client.cipher(), "ECDHE-ECDSA-AES256-GCM-SHA384");
  expect_round_trip(p);
}

TEST(tls_session, a_handshake_fed_one_byte_at_a_time_completes_for_1_2_and_1_3) {
  for (auto v : {tls_version::v1_2, tls_version::v1_3}) {
    test_pki pki;
    auto server = server_ctx(only(v));
    auto p = tls_pair::make(client_ctx(trusting(server, pki)), server);
    p.handshake(1);
    ASSERT_TRUE(p.ok()) << to_string(v) << ": " << p.client.error().message << " / " << p.server.error().message;
    ASSERT_EQ(p.client.write(std::string("one byte at a time")), 18);
    EXPECT_EQ(tls_pair::deliver(p.client, p.server, nullptr, 1), "one byte at a time");
  }
}

TEST(tls_session, the_server_flight_split_at_every_point_still_completes_the_handshake) {
  test_pki pki;
  auto server = server_ctx();
  auto client = client_ctx(trusting(server, pki));
  std::size_t flight = 0;
  for (std::size_t split = 1;; ++split) {
    auto p = tls_pair::make(client, server);
    ASSERT_EQ(p.client.handshake(), tls_state::want_write);
    test::transfer(p.client, p.server);  // ClientHello
    ASSERT_EQ(p.server.handshake(), tls_state::want_write);
    flight = p.server.pending_output().size();  // ServerHello .. Finished
    if (split >= flight) break;
    test::transfer(p.server, p.client, split);
    ASSERT_EQ(p.client.handshake(), tls_state::want_read) << "split " << split;
    test::transfer(p.server, p.client);
    p.handshake();
    ASSERT_TRUE(p.ok()) << "split " << split << ": " << p.client.error().message;
  }
  EXPECT_GT(flight, 300u);
}

TEST(tls_session, alpn_picks_the_first_protocol_of_the_server_preference_the_client_offers) {
  struct named_case {
    const char* name;
    std::vector<std::string> offered, preferred;
    std::string agreed;
  };
  const named_case cases[] = {
      {"h2 preferred by the server", {"http/1.1", "h2"}, {"h2", "http/1.1"}, "h2"},
      {"http/1.1 preferred by the server", {"h2", "http/1.1"}, {"http/1.1", "h2"}, "http/1.1"},
      {"server knows http/1.1 only", {"h2", "http/1.1"}, {"http/1.1"}, "http/1.1"},
      {"no overlap: no ALPN, the handshake goes on", {"h2"}, {"http/1.1"}, ""},
      {"client offers nothing", {}, {"h2", "http/1.1"}, ""},
  };
  for (const auto& c : cases) {
    test_pki pki;
    tls_server_options so;
    so.alpn = c.preferred;
    auto server = server_ctx(so);
    tls_client_options co;
    co.alpn = c.offered;
    auto p = tls_pair::make(client_ctx(trusting(server, pki, co)), server);
    p.handshake();
    ASSERT_TRUE(p.ok()) << c.name;
    EXPECT_EQ(p.client.protocol(), c.agreed) << c.name;
    EXPECT_EQ(p.server.protocol(), c.agreed) << c.name;
  }
}

TEST(tls_session, a_mebibyte_goes_both_ways_intact) {
  test_pki pki;
  auto server = server_ctx();
  auto p = tls_pair::make(client_ctx(trusting(server, pki)), server);
  p.handshake();
  ASSERT_TRUE(p.ok());
  std::string up(1 << 20, '\0'), down(1 << 20, '\0');
  for (std::size_t i = 0; i < up.size(); ++i) {
    up[i] = static_cast<char>(i * 7 + 3);
    down[i] = static_cast<char>(i * 13 + 1);
  }
  ASSERT_EQ(p.client.write(up), static_cast<long>(up.size()));
  EXPECT_TRUE(tls_pair::deliver(p.client, p.server, nullptr, 4000) == up);
  ASSERT_EQ(p.server.write(down), static_cast<long>(down.size()));
  EXPECT_TRUE(tls_pair::deliver(p.server, p.client) == down);
  EXPECT_TRUE(p.client.pending_output().empty());
  EXPECT_FALSE(p.client.buffered());
}

TEST(tls_session, buffered_is_true_while_decrypted_or_undecrypted_bytes_wait) {
  test_pki pki;
  auto server = server_ctx();
  auto p = tls_pair::make(client_ctx(trusting(server, pki)), server);
  p.handshake();
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.server.write(std::string("first")), 5);
  ASSERT_EQ(p.server.write(std::string("second")), 6);
  test::transfer(p.server, p.client);
  EXPECT_TRUE(p.client.buffered());  // two records, not yet decrypted
  char one[1];
  ASSERT_EQ(p.client.read(one), 1);
  EXPECT_TRUE(p.client.buffered());  // "irst" decrypted, "second" still ciphertext
  EXPECT_EQ(tls_pair::deliver(p.server, p.client), "irstsecond");
  EXPECT_FALSE(p.client.buffered());
  EXPECT_EQ(p.client.read(one), tls_session::want_read);
}

TEST(tls_session, close_notify_reads_as_zero_on_the_other_side) {
  test_pki pki;
  auto server = server_ctx();
  auto p = tls_pair::make(client_ctx(trusting(server, pki)), server);
  p.handshake();
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.client.write(std::string("bye")), 3);
  ASSERT_EQ(p.client.shutdown(), tls_state::done);
  long last = 1;
  EXPECT_EQ(tls_pair::deliver(p.client, p.server, &last), "bye");
  EXPECT_EQ(last, 0);
  EXPECT_EQ(p.server.shutdown(), tls_state::done);  // the answering close_notify
  tls_pair::deliver(p.server, p.client, &last);
  EXPECT_EQ(last, 0);
}

TEST(tls_session, a_peer_that_closes_without_close_notify_is_an_unexpected_eof) {
  test_pki pki;
  auto server = server_ctx();
  auto p = tls_pair::make(client_ctx(trusting(server, pki)), server);
  p.handshake();
  ASSERT_TRUE(p.ok());
  p.client.peer_closed();
  char buf[16];
  EXPECT_EQ(p.client.read(buf), tls_session::failed);
  EXPECT_EQ(p.client.error().kind, tls_errc::unexpected_eof);
  EXPECT_EQ(p.client.error().message, "the peer closed the connection without a TLS close_notify");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(tls_session, a_peer_that_closes_mid_handshake_fails_the_handshake) {
  test_pki pki;
  auto server = server_ctx();
  auto c = tls_session::client(client_ctx(trusting(server, pki)), "localhost", 443);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->handshake(), tls_state::want_write);
  c->consume_output(c->pending_output().size());
  EXPECT_EQ(c->handshake(), tls_state::want_read);
  c->peer_closed();
  EXPECT_EQ(c->handshake(), tls_state::failed);
  EXPECT_EQ(c->error().kind, tls_errc::handshake);
  EXPECT_EQ(c->error().message, "TLS handshake failed: the peer closed the connection during the handshake");
}

TEST(tls_session, idle_sessions_give_their_buffers_back) {
  test_pki pki;
  auto server = server_ctx();
  auto client = client_ctx(trusting(server, pki));
  EXPECT_NE(SSL_CTX_get_mode(client.native()) & SSL_MODE_RELEASE_BUFFERS, 0u);
  EXPECT_NE(SSL_CTX_get_mode(server.native()) & SSL_MODE_RELEASE_BUFFERS, 0u);
  auto p = tls_pair::make(client, server);
  p.handshake();
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.server.write(std::string(200'000, 'x')), 200'000);
  EXPECT_EQ(tls_pair::deliver(p.server, p.client).size(), 200'000u);
  p.client.release_buffers();
  EXPECT_TRUE(p.client.pending_output().empty());
  EXPECT_FALSE(p.client.buffered());
  expect_round_trip(p, "still works after release");
}

TEST(tls_session, a_record_altered_in_transit_is_a_protocol_error) {
  test_pki pki;
  auto server = server_ctx();
  auto p = tls_pair::make(client_ctx(trusting(server, pki)), server);
  p.handshake();
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.server.write(std::string("integrity")), 9);
  std::string record(p.server.pending_output().data(), p.server.pending_output().size());
  p.server.consume_output(record.size());
  record[record.size() - 3] ^= 0x40;  // inside the AEAD tag
  p.client.feed(record);
  char buf[64];
  EXPECT_EQ(p.client.read(buf), tls_session::failed);
  EXPECT_EQ(p.client.error().kind, tls_errc::protocol);
  EXPECT_EQ(p.client.error().message, "TLS error: decryption failed or bad record mac");
  EXPECT_FALSE(p.client.pending_output().empty());  // the alert for the peer
  EXPECT_EQ(ERR_peek_error(), 0u);
}

// glibc's heap statistics; the sanitizers' allocators do not keep them.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <malloc.h>

TEST(tls_session, an_idle_session_after_a_large_transfer_holds_less_than_32_kib) {
  test_pki pki;
  auto server = server_ctx();
  auto client = client_ctx(trusting(server, pki));
  constexpr int n = 50;
  std::vector<tls_pair> pairs;
  pairs.reserve(n);
  const auto before = ::mallinfo2().uordblks;
  for (int i = 0; i < n; ++i) {
    pairs.push_back(tls_pair::make(client, server));
    auto& p = pairs.back();
    p.handshake();
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p.server.write(std::string(100'000, 'x')), 100'000);
    ASSERT_EQ(tls_pair::deliver(p.server, p.client).size(), 100'000u);
    ASSERT_EQ(p.client.write(std::string(100'000, 'y')), 100'000);
    ASSERT_EQ(tls_pair::deliver(p.client, p.server).size(), 100'000u);
    p.client.release_buffers();
    p.server.release_buffers();
  }
  const double per_session = static_cast<double>(::mallinfo2().uordblks - before) / (2 * n);
  EXPECT_LT(per_session, 32 * 1024.0);
  std::printf("idle TLS session: %.0f bytes of heap\n", per_session);
}
#endif
