// A listening socket bound on one thread and accepted on by a loop (tcp_listener), and the
// reuse-port group the server's loops share a port with.
#include <gtest/gtest.h>

#include <string>
#include <system_error>
#include <thread>

#include "net/tcp.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/when_all.hpp"

using namespace barrage;
using namespace barrage::net;
using sharing = listen_options::port_sharing;

namespace {

listen_options shared(sharing how) {
  listen_options o;
  o.reuse_port = how;
  return o;
}

std::errc bind_error(const socket_address& at, listen_options o) {
  try {
    listening_socket::bind(at, o);
  } catch (const std::system_error& e) {
    return std::errc(e.code().value());
  }
  return std::errc{};
}

}  // namespace

TEST(listening_socket, a_group_opener_refuses_outsiders_and_lets_its_group_join) {
  const listening_socket first =
      listening_socket::bind(*socket_address::parse("127.0.0.1:0"), shared(sharing::open_group));
  const socket_address at = first.local();
  ASSERT_NE(at.port(), 0);
  EXPECT_EQ(bind_error(at, shared(sharing::none)), std::errc::address_in_use);
  EXPECT_EQ(bind_error(at, shared(sharing::open_group)), std::errc::address_in_use);  // a second server
  const listening_socket joined = listening_socket::bind(at, shared(sharing::join_group));
  EXPECT_TRUE(joined.valid());
  EXPECT_EQ(joined.local().port(), at.port());
}

TEST(listening_socket, a_port_held_without_reuse_port_refuses_a_group_too) {
  const listening_socket plain = listening_socket::bind(*socket_address::parse("127.0.0.1:0"), listen_options{});
  EXPECT_EQ(bind_error(plain.local(), shared(sharing::open_group)), std::errc::address_in_use);
  EXPECT_EQ(bind_error(plain.local(), shared(sharing::join_group)), std::errc::address_in_use);
}

TEST(listening_socket, bound_on_one_thread_it_accepts_on_another_threads_loop) {
  listening_socket bound = listening_socket::bind(*socket_address::parse("127.0.0.1:0"), listen_options{});
  const socket_address at = bound.local();
  std::string got;
  std::thread loop_thread([&] {
    got = sync_wait([&]() -> task<std::string> {
      tcp_listener l(std::move(bound));
      auto serve = [&]() -> task<std::string> {
        auto s = co_await l.accept();
        if (!s) co_return "accept failed";
        char buf[16];
        const long n = co_await s->read(buf, sizeof buf);
        co_return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "read failed";
      };
      auto connect = [&]() -> task<void> {
        auto c = co_await tcp_connect(at);
        if (c) co_await c->write_all("hi", 2);
      };
      auto [text, done] = co_await when_all(serve(), connect());
      co_return text;
    }());
  });
  loop_thread.join();
  EXPECT_FALSE(bound.valid());
  EXPECT_EQ(got, "hi");
}

TEST(tcp_listener, shutdown_fails_a_waiting_accept_with_invalid_argument) {
  const std::errc e = sync_wait([]() -> task<std::errc> {
    auto l = tcp_listener::bind(*socket_address::parse("127.0.0.1:0"));
    auto accept = [&]() -> task<std::errc> {
      auto s = co_await l.accept();
      co_return s ? std::errc{} : s.error();
    };
    auto stop = [&]() -> task<void> {
      co_await yield_now{};
      l.shutdown();
    };
    auto [err, done] = co_await when_all(accept(), stop());
    co_return err;
  }());
  EXPECT_EQ(e, std::errc::invalid_argument);
}
