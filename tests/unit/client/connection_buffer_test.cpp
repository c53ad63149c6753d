// The HTTP/1.1 connection's read buffer: 1 KiB at first, doubled when a read fills it (a large
// head, a large body, a pipelined burst), back to 1 KiB after a run of small responses; and its
// 16 field slots, 64 once a head has more.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "client/connection.hpp"
#include "co_assert.hpp"
#include "net/tcp.hpp"
#include "scripted_peer.hpp"

using namespace barrage;
using namespace barrage::client;
using namespace std::chrono_literals;
using test::scripted_peer;

namespace {

const std::string get_root = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

task<net::transport> connect_to(const scripted_peer& peer) {
  auto s = co_await net::tcp_connect(peer.address());
  if (!s) throw std::runtime_error("connect failed");
  co_return net::transport(std::move(*s));
}

/// One GET on `c`, the response kept.
task<outcome> get_one(connection& c, response_data* keep = nullptr) {
  const time_point start = mono_clock::now();
  co_return co_await c.exchange(get_root, start, {start + 5s, time_point::max()}, false, keep);
}

std::string big_head_response() {
  std::string r = "HTTP/1.1 200 OK\r\nX-Pad: " + std::string(3000, 'p') + "\r\n";
  for (int i = 0; i < 40; ++i) r += "X-F" + std::to_string(i) + ": v\r\n";
  return r + "Content-Length: 2\r\n\r\nok";
}

}  // namespace

TEST(client_connection, starts_with_a_read_buffer_of_1_kib) {
  EXPECT_EQ(connection::initial_buffer, 1024u);
}

TEST(client_connection, a_head_larger_than_the_initial_buffer_is_read_wherever_it_is_split) {
  const std::string whole = big_head_response();
  std::vector<std::size_t> splits;
  for (std::size_t at = 1; at < whole.size(); at += 173) splits.push_back(at);
  for (std::size_t edge : {connection::initial_buffer, 2 * connection::initial_buffer})  // where it grows
    for (std::size_t at = edge - 8; at <= edge + 8; ++at) splits.push_back(at);
  for (std::size_t at : splits) {
    sync_wait([](std::string w, std::size_t at) -> task<void> {
      scripted_peer peer({test::send(w.substr(0, at)), test::pause(1ms), test::send(w.substr(at))});
      connection c(co_await connect_to(peer));
      response_data keep;
      outcome o = co_await get_one(c, &keep);
      EXPECT_EQ(o.error, error_kind::none) << "split at " << at;
      EXPECT_EQ(o.status, 200) << "split at " << at;
      EXPECT_EQ(keep.body, "ok") << "split at " << at;
      EXPECT_EQ(keep.headers.size(), 42u) << "split at " << at;  // past the 16 slots in place
      EXPECT_TRUE(c.is_open());
    }(whole, at));
  }
}

TEST(client_connection, a_large_body_grows_the_buffer_and_small_responses_shrink_it_again) {
  const std::string small = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const std::string large = "HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n" + std::string(300000, 'L');
  std::vector<test::script_step> script{test::send(large)};
  for (unsigned i = 0; i < adaptive_buffer::quiet_rounds; ++i) {
    script.push_back(test::wait_request());
    script.push_back(test::send(small));
  }
  script.push_back(test::wait_request());
  script.push_back(test::send(large));
  sync_wait([](std::vector<test::script_step> s, std::string big) -> task<void> {
    scripted_peer peer(std::move(s));
    connection c(co_await connect_to(peer));
    response_data keep;
    outcome o = co_await get_one(c, &keep);
    CO_ASSERT_TRUE(o.ok());
    EXPECT_EQ(keep.body, big.substr(big.size() - 300000));
    EXPECT_GT(c.buffer_size(), connection::initial_buffer);  // reads filled it: it grew
    for (unsigned i = 0; i < adaptive_buffer::quiet_rounds; ++i) {
      o = co_await get_one(c);
      EXPECT_TRUE(o.ok() && o.body_bytes == 2) << i;
    }
    EXPECT_EQ(c.buffer_size(), connection::initial_buffer);
    o = co_await get_one(c);
    EXPECT_TRUE(o.ok());
    EXPECT_EQ(o.body_bytes, 300000u);
    EXPECT_EQ(c.uses(), adaptive_buffer::quiet_rounds + 2);
  }(std::move(script), large));
}

TEST(client_connection, a_connection_told_to_keep_its_grown_buffer_does_not_shrink_after_quiet_responses) {
  const std::string small = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const std::string large = "HTTP/1.1 200 OK\r\nContent-Length: 30000\r\n\r\n" + std::string(30000, 'L');
  std::vector<test::script_step> script{test::send(large)};
  for (unsigned i = 0; i < 2 * adaptive_buffer::quiet_rounds; ++i) {
    script.push_back(test::wait_request());
    script.push_back(test::send(small));
  }
  sync_wait([](std::vector<test::script_step> s) -> task<void> {
    scripted_peer peer(std::move(s));
    connection c(co_await connect_to(peer));
    c.keep_grown_buffer();
    outcome o = co_await get_one(c);
    CO_ASSERT_TRUE(o.ok());
    const std::size_t grown = c.buffer_size();
    EXPECT_GT(grown, connection::initial_buffer);
    for (unsigned i = 0; i < 2 * adaptive_buffer::quiet_rounds; ++i) {
      o = co_await get_one(c);
      EXPECT_TRUE(o.ok() && o.body_bytes == 2) << i;
    }
    EXPECT_EQ(c.buffer_size(), grown) << "kept: a pipelined run would grow it again";
  }(std::move(script)));
}

TEST(client_connection, a_pipelined_burst_larger_than_the_buffer_is_read_in_order) {
  std::string burst;
  for (int i = 0; i < 150; ++i) {
    const std::string body = std::to_string(i);
    burst += "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  sync_wait([](std::string b) -> task<void> {
    scripted_peer peer({test::send(b)});
    connection c(co_await connect_to(peer));
    const time_point start = mono_clock::now();
    std::string batch;
    for (int i = 0; i < 150; ++i) batch += get_root;
    CO_ASSERT_TRUE(co_await c.send(batch, start + 5s) == error_kind::none);
    for (int i = 0; i < 150; ++i) {
      response_data keep;
      outcome o = co_await c.receive(start, {start + 5s, time_point::max()}, false, &keep);
      CO_ASSERT_TRUE(o.ok());
      EXPECT_EQ(keep.body, std::to_string(i));
    }
    EXPECT_EQ(c.uses(), 150u);
  }(burst));
}
