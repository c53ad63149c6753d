// connection::receiver: receive() in steps, run in the caller's coroutine frame (the load
// generator's request); its outcome is receive()'s, and its reads keep their deadlines.
#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "client/connection.hpp"
#include "net/tcp.hpp"
#include "runtime/spawn.hpp"
#include "scripted_peer.hpp"

using namespace barrage;
using namespace barrage::client;
using namespace std::chrono_literals;
using test::scripted_peer;

namespace {

const std::string get_root = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

task<net::transport> connect_to_peer(const scripted_peer& peer) {
  auto s = co_await net::tcp_connect(peer.address());
  if (!s) throw std::runtime_error("connect failed");
  co_return net::transport(std::move(*s));
}

struct stepped {
  outcome o;
  int reads = 0;
  bool needed_body = false;
};

/// One GET on `c`, received in steps as the load generator does.
task<stepped> get_in_steps(connection& c, response_data* keep, duration timeout = 5s) {
  const time_point start = mono_clock::now();
  const error_kind sent = co_await c.send(get_root, start + timeout);  // not in a macro's condition (GCC 12)
  EXPECT_EQ(sent, error_kind::none);
  stepped s;
  connection::receiver rx(c, start, {start + timeout, time_point::max()}, false, keep);
  while (rx.reading()) {
    ++s.reads;
    rx.take(co_await rx.read());
  }
  if (rx.needs_body()) {
    s.needed_body = true;
    rx.body_read(co_await rx.read_body());
  }
  s.o = rx.finish();
  co_return s;
}

const std::string chunked_response =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

}  // namespace

TEST(client_receiver, a_response_received_in_steps_has_the_outcome_receive_gives) {
  const std::string split_at = chunked_response.substr(0, 20);
  auto script = [&] {
    return std::vector<test::script_step>{test::send(split_at), test::pause(2ms),
                                          test::send(chunked_response.substr(20))};
  };
  const auto [by_receive, kept_receive] = sync_wait([](std::vector<test::script_step> s) -> task<std::pair<outcome, response_data>> {
    scripted_peer peer(std::move(s));
    connection c(co_await connect_to_peer(peer));
    response_data keep;
    const time_point start = mono_clock::now();
    outcome o = co_await c.exchange(get_root, start, {start + 5s, time_point::max()}, false, &keep);
    co_return std::pair{o, keep};
  }(script()));
  const auto [in_steps, kept_steps] = sync_wait([](std::vector<test::script_step> s) -> task<std::pair<stepped, response_data>> {
    scripted_peer peer(std::move(s));
    connection c(co_await connect_to_peer(peer));
    response_data keep;
    stepped got = co_await get_in_steps(c, &keep);
    EXPECT_EQ(c.uses(), 1u);
    co_return std::pair{got, keep};
  }(script()));
  EXPECT_EQ(in_steps.o.error, error_kind::none);
  EXPECT_EQ(in_steps.o.status, by_receive.status);
  EXPECT_EQ(in_steps.o.bytes_in, by_receive.bytes_in);
  EXPECT_EQ(in_steps.o.body_bytes, 11u);
  EXPECT_EQ(in_steps.o.body_bytes, by_receive.body_bytes);
  EXPECT_EQ(kept_steps.body, "hello world");
  EXPECT_EQ(kept_steps.body, kept_receive.body);
  EXPECT_EQ(kept_steps.headers, kept_receive.headers);
  EXPECT_GE(in_steps.reads, 2) << "the head came in two parts";
  EXPECT_GT(in_steps.o.times.complete, 0);
}

TEST(client_receiver, a_body_still_to_come_after_the_head_is_asked_for_and_counted) {
  sync_wait([]() -> task<void> {
    scripted_peer peer({test::send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"),
                        test::pause(5ms), test::send("cd")});
    connection c(co_await connect_to_peer(peer));
    response_data keep;
    stepped got = co_await get_in_steps(c, &keep);
    EXPECT_TRUE(got.needed_body);
    EXPECT_EQ(got.o.error, error_kind::none);
    EXPECT_EQ(got.o.body_bytes, 4u);
    EXPECT_EQ(keep.body, "abcd");
    EXPECT_GE(got.o.times.complete, got.o.times.first_byte + 4'000'000) << "completed when the body's end came";
  }());
}

TEST(client_receiver, a_silent_peer_times_the_steps_out_at_the_deadline_and_not_before) {
  sync_wait([]() -> task<void> {
    scripted_peer peer({test::pause(2s)});
    connection c(co_await connect_to_peer(peer));
    stepped got = co_await get_in_steps(c, nullptr, 30ms);
    EXPECT_EQ(got.o.error, error_kind::timeout);
    EXPECT_GE(got.o.times.complete, 30'000'000);
    EXPECT_LT(got.o.times.complete, 1'000'000'000);
    EXPECT_FALSE(c.is_open());
  }());
}

TEST(client_receiver, connections_sharing_field_slots_each_keep_their_own_responses_fields) {
  sync_wait([]() -> task<void> {
    std::array<http::header, connection::few_fields> slots{};
    // A's head ends after B's whole response: B parses into the slots while A waits.
    scripted_peer a({test::send("HTTP/1.1 302 Found\r\nLocation: /a\r\nX-Who: a"), test::pause(20ms),
                     test::send("\r\nContent-Length: 0\r\n\r\n")});
    scripted_peer b({test::send("HTTP/1.1 301 Moved\r\nX-Who: b\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n")});
    connection ca(co_await connect_to_peer(a), {}, slots);
    connection cb(co_await connect_to_peer(b), {}, slots);
    ca.keep_location(true);
    cb.keep_location(true);
    response_data ka, kb;
    auto ha = spawn(get_in_steps(ca, &ka));
    auto hb = spawn(get_in_steps(cb, &kb));
    const stepped sb = co_await hb;
    const stepped sa = co_await ha;
    EXPECT_EQ(sa.o.status, 302);
    EXPECT_EQ(sb.o.status, 301);
    EXPECT_EQ(ca.location(), "/a");
    EXPECT_EQ(cb.location(), "/b");
    using field = std::pair<std::string, std::string>;
    EXPECT_EQ(ka.headers, (std::vector<field>{{"Location", "/a"}, {"X-Who", "a"}, {"Content-Length", "0"}}));
    EXPECT_EQ(kb.headers, (std::vector<field>{{"X-Who", "b"}, {"Location", "/b"}, {"Content-Length", "0"}}));
  }());
}

TEST(client_receiver, a_head_with_more_fields_than_the_shared_slots_still_parses_whole) {
  sync_wait([]() -> task<void> {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 20; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
    scripted_peer peer({test::send(head + "Content-Length: 2\r\n\r\nok")});
    std::array<http::header, connection::few_fields> slots{};
    connection c(co_await connect_to_peer(peer), {}, slots);
    response_data keep;
    const stepped got = co_await get_in_steps(c, &keep);
    EXPECT_EQ(got.o.error, error_kind::none);
    EXPECT_EQ(got.o.status, 200);
    EXPECT_EQ(keep.headers.size(), 21u);
    EXPECT_EQ(keep.body, "ok");
  }());
}
