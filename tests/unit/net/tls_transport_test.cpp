// net::transport over TLS with a reader and a writer at once (HTTP/2, WebSocket): each
// ciphertext byte leaves once and in order, whoever of the two touches the session.
#include "net/transport.hpp"

#include <gtest/gtest.h>

#include <string>

#include "co_assert.hpp"
#include "net/tcp.hpp"
#include "net/tls_context.hpp"
#include "net/tls_session.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "test_pki.hpp"

using namespace barrage;
using namespace barrage::net;
using barrage::test::test_pki;

namespace {

struct tls_link_pair {
  transport client;
  transport server;
};

// A TLS 1.3 connection over loopback TCP, both handshakes done.
task<tls_link_pair> connected_pair(test_pki& pki) {
  auto server_ctx = tls_context::server({});
  if (!server_ctx) throw std::runtime_error(server_ctx.error());
  tls_client_options co;
  co.ca_file = pki.write("self-signed.crt", server_ctx->certificate_pem());
  auto client_ctx = tls_context::client(co);
  if (!client_ctx) throw std::runtime_error(client_ctx.error());

  auto listener = tcp_listener::bind(*socket_address::parse("127.0.0.1:0"));
  auto accepted = spawn(listener.accept());
  auto c = co_await tcp_connect(listener.local());
  auto s = co_await accepted;
  if (!c || !s) throw std::runtime_error("loopback connect failed");
  auto cs = tls_session::client(*client_ctx, "localhost", 443);
  auto ss = tls_session::server(*server_ctx);
  if (!cs || !ss) throw std::runtime_error("tls session");
  tls_link_pair p{transport(std::move(*c), std::move(*cs)), transport(std::move(*s), std::move(*ss))};
  auto server_done = spawn(p.server.handshake());
  auto client_done = co_await p.client.handshake();
  auto server_result = co_await server_done;
  if (!client_done || !server_result) throw std::runtime_error("handshake failed");
  co_return p;
}

task<long> write_all(transport& t, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const long n = co_await t.write(data.data() + off, data.size() - off, mono_clock::now() + std::chrono::seconds(10));
    if (n <= 0) co_return n;
    off += static_cast<std::size_t>(n);
  }
  co_return static_cast<long>(off);
}

task<std::string> read_exactly(transport& t, std::size_t want) {
  std::string got;
  char buf[16384];
  while (got.size() < want) {
    const long n = co_await t.read(buf, sizeof buf, mono_clock::now() + std::chrono::seconds(10));
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  co_return got;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

}  // namespace

// The server's write waits on a full socket (the client reads nothing yet) with ciphertext
// queued; a read on the server's other task then must not send that ciphertext a second time
// (it did: curl saw "wrong version number" 4 times in 6 on a 5 MiB h2 body over TLS).
TEST(tls_transport, a_read_while_a_write_waits_on_the_socket_sends_nothing_twice) {
  test_pki pki;
  sync_wait([&]() -> task<void> {
    tls_link_pair p = co_await connected_pair(pki);
    const std::string big = pattern(8 << 20);
    auto writer = spawn(write_all(p.server, big));
    co_await sleep_for(std::chrono::milliseconds(20));  // the writer now waits on the socket
    const long sent = co_await write_all(p.client, "ping");
    CO_ASSERT_TRUE(sent == 4);
    std::string ping = co_await read_exactly(p.server, 4);
    EXPECT_EQ(ping, "ping");
    std::string got = co_await read_exactly(p.client, big.size());
    p.client.shutdown();  // a client that stopped early (a record it could not decrypt) frees the writer
    EXPECT_EQ(co_await writer, static_cast<long>(big.size()));
    CO_ASSERT_TRUE(got.size() == big.size());
    EXPECT_TRUE(got == big) << "the byte stream the client decrypted differs from what was written";
  }());
}

// Two writers of one connection: the second waits while the first's ciphertext is being
// sent, so its bytes arrive whole, between two of the first's write calls.
TEST(tls_transport, a_second_writer_waits_for_the_first_and_both_arrive_in_order) {
  test_pki pki;
  sync_wait([&]() -> task<void> {
    tls_link_pair p = co_await connected_pair(pki);
    const std::string first = pattern(4 << 20);
    const std::string second(1000, 'Z');
    auto w1 = spawn(write_all(p.server, first));
    co_await sleep_for(std::chrono::milliseconds(20));
    auto w2 = spawn(write_all(p.server, second));
    std::string got = co_await read_exactly(p.client, first.size() + second.size());
    p.client.shutdown();
    EXPECT_EQ(co_await w1, static_cast<long>(first.size()));
    EXPECT_EQ(co_await w2, static_cast<long>(second.size()));
    CO_ASSERT_TRUE(got.size() == first.size() + second.size());
    const std::size_t at = got.find(second);
    CO_ASSERT_TRUE(at != std::string::npos);
    EXPECT_TRUE(got.substr(0, at) + got.substr(at + second.size()) == first);
  }());
}

// Three records sent apart arrive before the client reads: one read takes them from the socket
// and returns the first record's plaintext; read_buffered returns the other two without
// waiting, then -EAGAIN (none held), as it does on plain TCP.
TEST(tls_transport, read_buffered_returns_the_records_one_read_brought_then_eagain) {
  test_pki pki;
  sync_wait([&]() -> task<void> {
    tls_link_pair p = co_await connected_pair(pki);
    for (const char* record : {"one", "two", "three"}) CO_ASSERT_TRUE(co_await write_all(p.server, record) > 0);
    co_await sleep_for(std::chrono::milliseconds(20));  // all three are in the client's socket
    char buf[256];
    const long first = co_await p.client.read(buf, sizeof buf, mono_clock::now() + std::chrono::seconds(10));
    CO_ASSERT_TRUE(first == 3);
    EXPECT_EQ(std::string(buf, 3), "one");
    EXPECT_TRUE(p.client.buffered());
    const long second = p.client.read_buffered(buf, sizeof buf);
    CO_ASSERT_TRUE(second == 3);
    EXPECT_EQ(std::string(buf, 3), "two");
    const long third = p.client.read_buffered(buf, sizeof buf);
    CO_ASSERT_TRUE(third == 5);
    EXPECT_EQ(std::string(buf, 5), "three");
    EXPECT_FALSE(p.client.buffered());
    EXPECT_EQ(p.client.read_buffered(buf, sizeof buf), -EAGAIN);
    EXPECT_EQ(transport().read_buffered(buf, sizeof buf), -EAGAIN);  // not TLS: nothing held
  }());
}
