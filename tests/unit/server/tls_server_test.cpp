// The server over TLS, in process, on both I/O backends: the handshake in the connection's
// task, requests answered through the TLS transport, close_notify when a connection closes or
// the server stops, failed and timed-out handshakes counted in /metrics with their slot given
// back. The client is a tls_session driven by hand over a TCP stream, so that it can tell a
// close_notify from a bare end of stream.
#include <gtest/gtest.h>

#include <string>

#include "co_assert.hpp"
#include "net/tcp.hpp"
#include "net/tls_session.hpp"
#include "runtime/spawn.hpp"
#include "server/builtin_target.hpp"
#include "server/server.hpp"
#include "test_pki.hpp"

using namespace barrage;
using namespace barrage::server;
using namespace std::chrono_literals;
using http_server = barrage::server::server;

namespace {

/// A test CA, a server certificate for 127.0.0.1 it signed, and both sides' contexts.
struct pki_and_contexts {
  test::test_pki pki;
  net::tls_context server_ctx = make_server();
  net::tls_context client_ctx = make_client();

  net::tls_context make_server() {
    auto leaf = pki.leaf("server", {"127.0.0.1"});
    net::tls_server_options o;
    o.cert_file = leaf.cert;
    o.key_file = leaf.key;
    return *net::tls_context::server(o);
  }
  net::tls_context make_client() {
    net::tls_client_options o;
    o.ca_file = pki.ca_file();
    o.alpn = {"http/1.1"};
    return *net::tls_context::client(o);
  }
};

std::unique_ptr<pki_and_contexts> make_contexts() { return std::make_unique<pki_and_contexts>(); }

server_options tls_options(const net::tls_context& ctx) {
  server_options o;
  o.listen = *net::socket_address::parse("127.0.0.1:0");
  o.shutdown_grace = 2s;
  o.tls = ctx;
  o.tls_handshake_timeout = 300ms;
  return o;
}

router builtin() {
  router r;
  add_builtin_routes(r);
  return r;
}

/// A client connection: TCP with a tls_session the test drives.
struct tls_client {
  net::tcp_stream tcp;
  net::tls_session session;

  task<bool> send_pending() {
    auto out = session.pending_output();
    if (out.empty()) co_return true;
    const long n = co_await tcp.write_all(out.data(), out.size());
    session.consume_output(out.size());
    co_return n >= 0;
  }
  task<bool> handshake() {
    char buf[16384];
    for (;;) {
      const net::tls_state st = session.handshake();
      const bool sent = co_await send_pending();
      if (st == net::tls_state::done) co_return sent;
      if (st == net::tls_state::failed || !sent) co_return false;
      if (st == net::tls_state::want_write) continue;
      const long n = co_await tcp.read(buf, sizeof buf);
      if (n <= 0) co_return false;
      session.feed({buf, static_cast<std::size_t>(n)});
    }
  }
  task<bool> send(const std::string& plaintext) {
    session.write({plaintext.data(), plaintext.size()});
    co_return co_await send_pending();
  }
  /// Reads until `needle` has come (true), or the stream ends first (false).
  task<bool> read_until(std::string_view needle) {
    std::string text;
    char plain[16384], buf[16384];
    while (text.find(needle) == std::string::npos) {
      const long got = session.read({plain, sizeof plain});
      if (got > 0) {
        text.append(plain, static_cast<std::size_t>(got));
        continue;
      }
      if (got != net::tls_session::want_read) co_return false;
      const long n = co_await tcp.read(buf, sizeof buf);
      if (n <= 0) co_return false;
      session.feed({buf, static_cast<std::size_t>(n)});
    }
    co_return true;
  }
  /// Reads until the server ends the stream: what came, and whether it ended with close_notify.
  struct ending {
    std::string text;
    bool close_notify = false;
  };
  task<ending> read_to_end() {
    ending e;
    char plain[16384], buf[16384];
    for (;;) {
      const long got = session.read({plain, sizeof plain});
      if (got > 0) {
        e.text.append(plain, static_cast<std::size_t>(got));
        continue;
      }
      if (got == 0) {
        e.close_notify = true;
        co_return e;
      }
      if (got == net::tls_session::failed) co_return e;
      const long n = co_await tcp.read(buf, sizeof buf);
      if (n < 0) co_return e;
      if (n == 0) session.peer_closed();
      else session.feed({buf, static_cast<std::size_t>(n)});
    }
  }
};

task<std::optional<tls_client>> connect_tls(const net::tls_context& ctx, net::socket_address to) {
  auto tcp = co_await net::tcp_connect(to);
  if (!tcp) co_return std::nullopt;
  auto session = net::tls_session::client(ctx, "127.0.0.1", to.port());
  if (!session) co_return std::nullopt;
  tls_client c{std::move(*tcp), std::move(*session)};
  const bool ok = co_await c.handshake();
  if (!ok) co_return std::nullopt;
  co_return std::optional<tls_client>(std::move(c));
}

std::uint64_t handshakes(const http_server& s, std::string_view result) {
  const std::string text = s.metrics_text();
  const std::string key = "barrage_server_tls_handshakes_total{result=\"" + std::string(result) + "\"} ";
  const auto at = text.find(key);
  return at == std::string::npos ? ~0ull : std::stoull(text.substr(at + key.size()));
}

}  // namespace

TEST(tls_server, answers_over_tls_and_ends_a_closing_connection_with_close_notify) {
  auto ctx = make_contexts();
  sync_wait([&]() -> task<void> {
    http_server s(builtin(), tls_options(ctx->server_ctx));
    auto serving = spawn(s.serve());
    auto c = co_await connect_tls(ctx->client_ctx, s.local_address());
    CO_ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->session.protocol(), "http/1.1");
    const bool sent = co_await c->send("GET /bytes/100000 HTTP/1.1\r\nHost: h\r\n\r\n"
                                       "GET /status/201 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(sent);
    auto end = co_await c->read_to_end();
    EXPECT_EQ(end.text.find("HTTP/1.1 200 OK\r\n"), 0u);
    EXPECT_NE(end.text.find("HTTP/1.1 201 Created\r\n"), std::string::npos);
    EXPECT_GT(end.text.size(), 100000u);
    EXPECT_TRUE(end.close_notify) << "the connection ended without close_notify";
    EXPECT_EQ(handshakes(s, "full"), 1u);
    s.stop();
    co_await serving;
  }());
}

TEST(tls_server, a_stop_sends_close_notify_to_an_idle_connection) {
  auto ctx = make_contexts();
  sync_wait([&]() -> task<void> {
    http_server s(builtin(), tls_options(ctx->server_ctx));
    auto serving = spawn(s.serve());
    auto c = co_await connect_tls(ctx->client_ctx, s.local_address());
    CO_ASSERT_TRUE(c.has_value());
    const bool sent = co_await c->send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_TRUE(sent);
    const bool answered = co_await c->read_until("hello\n");
    EXPECT_TRUE(answered);
    s.stop();  // the connection is idle: it is closed, with a close_notify
    auto end = co_await c->read_to_end();
    EXPECT_EQ(end.text, "");
    EXPECT_TRUE(end.close_notify);
    co_await serving;
  }());
}

TEST(tls_server, failed_and_timed_out_handshakes_are_counted_and_give_their_slot_back) {
  auto ctx = make_contexts();
  sync_wait([&]() -> task<void> {
    server_options o = tls_options(ctx->server_ctx);
    o.max_connections = 1;  // each connection below needs the slot of the one before
    http_server s(builtin(), o);
    auto serving = spawn(s.serve());
    char buf[256];
    {  // silent: closed at the handshake timeout
      auto t = co_await net::tcp_connect(s.local_address());
      CO_ASSERT_TRUE(t.ok());
      const time_point start = mono_clock::now();
      const long n = co_await t->read(buf, sizeof buf);
      EXPECT_EQ(n, 0);
      EXPECT_GE(mono_clock::now() - start, 250ms);
    }
    {  // plain HTTP: the handshake fails at once
      auto t = co_await net::tcp_connect(s.local_address());
      CO_ASSERT_TRUE(t.ok());
      const std::string req = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
      co_await t->write_all(req.data(), req.size());
      long n = 1;
      while (n > 0) n = co_await t->read(buf, sizeof buf);  // an alert at most, then the end
      EXPECT_LE(n, 0);
    }
    auto c = co_await connect_tls(ctx->client_ctx, s.local_address());
    CO_ASSERT_TRUE(c.has_value());
    const bool sent = co_await c->send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_TRUE(sent);
    const bool answered = co_await c->read_until("hello\n");  // the server's handshake is done too
    EXPECT_TRUE(answered);
    EXPECT_EQ(handshakes(s, "timed_out"), 1u);
    EXPECT_EQ(handshakes(s, "failed"), 1u);
    EXPECT_EQ(handshakes(s, "full"), 1u);
    EXPECT_NE(s.metrics_text().find("barrage_server_tls_handshake_failures_total{reason=\"handshake\"} 1"),
              std::string::npos);
    s.stop();
    co_await serving;
  }());
}
