#include "net/tcp.hpp"

#include <gtest/gtest.h>

#include "co_assert.hpp"

#include <string>

#include "runtime/spawn.hpp"
#include "runtime/when_all.hpp"

using namespace barrage;
using namespace barrage::net;

namespace {

socket_address loopback_any_port() { return *socket_address::parse("127.0.0.1:0"); }

task<std::string> echo_once(tcp_listener& l) {
  auto s = co_await l.accept();
  if (!s) co_return "accept failed";
  char buf[64];
  long n = co_await s->read(buf, sizeof buf);
  co_await s->write_all(buf, static_cast<std::size_t>(n));
  co_return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

TEST(tcp, connect_write_and_read_round_trip_on_loopback) {
  sync_wait([]() -> task<void> {
    auto l = tcp_listener::bind(loopback_any_port());
    auto server = spawn(echo_once(l));
    auto c = co_await tcp_connect(l.local());
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(co_await c->write_all("ping", 4), 4);
    char buf[8];
    long n = co_await c->read(buf, sizeof buf);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "ping");
    EXPECT_EQ(co_await server, "ping");
  }());
}

TEST(tcp, connect_over_ipv6_loopback) {
  sync_wait([]() -> task<void> {
    tcp_listener l;
    try {
      l = tcp_listener::bind(*socket_address::parse("[::1]:0"));
    } catch (const std::system_error&) {
      co_return;  // no IPv6 loopback here
    }
    auto server = spawn(echo_once(l));
    auto c = co_await tcp_connect(l.local());
    CO_ASSERT_TRUE(c.ok());
    co_await c->write_all("v6", 2);
    EXPECT_EQ(co_await server, "v6");
  }());
}

TEST(tcp, connect_to_a_closed_port_is_refused) {
  sync_wait([]() -> task<void> {
    socket_address a;
    {
      auto l = tcp_listener::bind(loopback_any_port());
      a = l.local();
    }
    auto c = co_await tcp_connect(a);
    CO_ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error(), std::errc::connection_refused);
  }());
}

TEST(tcp, read_returns_zero_when_the_peer_closes) {
  sync_wait([]() -> task<void> {
    auto l = tcp_listener::bind(loopback_any_port());
    auto c = co_await tcp_connect(l.local());
    auto s = co_await l.accept();
    CO_ASSERT_TRUE(s.ok());
    s->close();
    char buf[4];
    EXPECT_EQ(co_await c->read(buf, sizeof buf), 0);
  }());
}

TEST(tcp, binding_a_port_in_use_throws_a_clear_error) {
  event_loop loop;
  auto l = tcp_listener::bind(loopback_any_port());
  try {
    auto again = tcp_listener::bind(l.local());
    FAIL() << "bound twice";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:"), std::string::npos);
  }
}

TEST(tcp, a_connection_from_a_source_address_comes_from_that_address) {
  sync_wait([]() -> task<void> {
    auto l = tcp_listener::bind(*socket_address::parse("0.0.0.0:0"));
    auto to = *socket_address::parse("127.0.0.1:" + std::to_string(l.local().port()));
    for (const char* ip : {"127.0.0.2", "127.0.0.3"}) {
      auto from = *socket_address::from_ip(ip, 0);
      connect_options o;
      o.source = &from;
      auto accepting = spawn(l.accept());
      auto c = co_await tcp_connect(to, o);
      EXPECT_TRUE(c.ok());
      EXPECT_EQ(c->local().ip(), ip);
      EXPECT_NE(c->local().port(), 0);  // the port was chosen at connect
      auto s = co_await accepting;
      EXPECT_TRUE(s.ok());
      EXPECT_EQ(s->peer().ip(), ip);
    }
  }());
}

TEST(tcp, a_source_address_not_on_this_host_fails_the_connect_with_its_errno) {
  sync_wait([]() -> task<void> {
    auto l = tcp_listener::bind(loopback_any_port());
    auto from = *socket_address::from_ip("192.0.2.1", 0);  // TEST-NET-1: never local
    connect_options o;
    o.source = &from;
    auto c = co_await tcp_connect(l.local(), o);
    EXPECT_FALSE(c.ok());
    if (!c.ok()) {
      EXPECT_EQ(c.error(), std::errc::address_not_available);
    }
  }());
}

TEST(tcp, many_concurrent_connections_are_accepted) {
  sync_wait([]() -> task<void> {
    auto l = tcp_listener::bind(loopback_any_port());
    constexpr int n = 200;
    auto accept_all = [](tcp_listener& ls) -> task<int> {
      std::vector<tcp_stream> kept;
      for (int i = 0; i < n; ++i) {
        auto s = co_await ls.accept();
        if (s) kept.push_back(std::move(*s));
      }
      co_return static_cast<int>(kept.size());
    };
    auto acceptor = spawn(accept_all(l));
    std::vector<tcp_stream> clients;
    for (int i = 0; i < n; ++i) {
      auto c = co_await tcp_connect(l.local());
      if (c) clients.push_back(std::move(*c));
    }
    EXPECT_EQ(clients.size(), std::size_t(n));
    EXPECT_EQ(co_await acceptor, n);
  }());
}

TEST(tcp, connect_gives_up_at_its_timeout) {
  const bool exercised = sync_wait([]() -> task<bool> {
    // A listener that never accepts, with the smallest backlog, filled up: further SYNs
    // are dropped, so a connect neither succeeds nor fails until its timeout.
    net::tcp_listener::options o;
    o.backlog = 0;
    auto l = tcp_listener::bind(loopback_any_port(), o);
    std::vector<tcp_stream> filling;
    net::connect_options quick;
    quick.timeout = std::chrono::milliseconds(150);
    bool timed_out = false;
    for (int i = 0; i < 64 && !timed_out; ++i) {
      auto t0 = mono_clock::now();
      auto c = co_await tcp_connect(l.local(), quick);
      if (c) {
        filling.push_back(std::move(*c));
        continue;
      }
      EXPECT_EQ(c.error(), std::errc::timed_out);
      EXPECT_GE(mono_clock::now() - t0, std::chrono::milliseconds(140));
      timed_out = true;
    }
    co_return timed_out;
  }());
  // Linux drops SYNs to a listener whose accept queue is full, so the queue fills within a
  // few connects; a kernel that answers them anyway (a different network stack, a sandbox)
  // leaves nothing to time out, and the test says so instead of passing.
  if (!exercised) GTEST_SKIP() << "the listener's backlog never filled here: no connect could time out";
}
