// The server's behaviour end to end over loopback: the built-in target's routes, streaming,
// /metrics, graceful shutdown, the connection cap, the stall schedule, several loops.
#include "server/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "co_assert.hpp"
#include "net/tcp.hpp"
#include "raw_http.hpp"
#include "runtime/frame_allocator.hpp"
#include "runtime/sleep.hpp"
#include "server/builtin_target.hpp"

using namespace barrage;
using namespace barrage::server;
using barrage::test::raw_conn;
using barrage::test::raw_response;
using barrage::test::running_server;
using namespace std::chrono_literals;
using http_server = barrage::server::server;

namespace {

server_options options(unsigned threads = 1) {
  server_options o;
  o.listen = *net::socket_address::parse("127.0.0.1:0");
  o.threads = threads;
  o.shutdown_grace = 2s;
  return o;
}

router builtin() {
  router r;
  add_builtin_routes(r);
  return r;
}

std::string get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n" + std::string(extra) + "\r\n";
}

raw_response one(std::uint16_t port, const std::string& request, std::chrono::milliseconds timeout = 2000ms) {
  raw_conn c(port);
  c.send(request);
  auto got = c.read_responses(1, timeout);
  if (got.empty()) return {};
  return got[0];
}

}  // namespace

TEST(builtin_target, answers_its_routes) {
  running_server srv(builtin(), options());
  const auto port = srv.port();
  auto r = one(port, get("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_TRUE(r.header("date"));
  EXPECT_EQ(r.header("content-type").value_or(""), "text/plain; charset=utf-8");

  EXPECT_EQ(one(port, get("/status/503")).status, 503);
  EXPECT_EQ(one(port, get("/status/204")).status, 204);
  EXPECT_EQ(one(port, get("/status/99")).status, 400);
  EXPECT_EQ(one(port, get("/status/abc")).status, 400);

  r = one(port, get("/bytes/100"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 100u);
  EXPECT_EQ(r.body.substr(0, 5), "abcde");
  r = one(port, get("/bytes/3MiB"), 5000ms);
  EXPECT_EQ(r.body.size(), 3u << 20);
  EXPECT_EQ(r.header("content-length").value_or(""), "3145728");
  EXPECT_EQ(one(port, get("/bytes/lots")).status, 400);
  EXPECT_EQ(one(port, get("/bytes/2GiB")).status, 400);

  r = one(port, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-test\r\nContent-Length: 4\r\n\r\nping");
  EXPECT_EQ(r.body, "ping");
  EXPECT_EQ(r.header("content-type").value_or(""), "application/x-test");

  r = one(port, get("/headers", "X-One: 1\r\nx-two:  two \r\n"));
  EXPECT_EQ(r.body, "Host: h\nX-One: 1\nx-two: two\n");
  r = one(port, get("/cookies", "Cookie: a=1; b=x=y;  c=\r\nCookie: =bad; d=4\r\n"));
  EXPECT_EQ(r.body, "a=1\nb=x=y\nc=\nd=4\n");

  r = one(port, "POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 32\r\n\r\n{\"user\":\"ann\",\"password\":\"pw1\"}\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").value_or(""), "application/json");
  EXPECT_NE(r.body.find("\"token\":\""), std::string::npos);
  EXPECT_EQ(one(port, "POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n{bad}").status, 400);
  EXPECT_EQ(one(port, "POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 13\r\n\r\n{\"user\":\"x\"}\n").status, 400);
}

TEST(builtin_target, delays_wait_without_blocking_the_loop) {
  running_server srv(builtin(), options());
  raw_conn slow(srv.port());
  const auto t0 = std::chrono::steady_clock::now();
  slow.send(get("/delay/200ms"));
  // Meanwhile another connection is answered at once: the delay does not hold the loop.
  auto fast = one(srv.port(), get("/"));
  EXPECT_EQ(fast.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 150ms);
  auto got = slow.read_responses(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms);
  EXPECT_EQ(one(srv.port(), get("/delay/forever")).status, 400);
  EXPECT_EQ(one(srv.port(), get("/delay/1h")).status, 400);  // over the limit
  auto j = one(srv.port(), get("/jitter?median=1ms&p99=5ms"));
  EXPECT_EQ(j.status, 200);
  EXPECT_EQ(one(srv.port(), get("/jitter?median=5ms&p99=1ms")).status, 400);
}

TEST(builtin_target, streams_chunks_one_per_interval) {
  running_server srv(builtin(), options());
  raw_conn c(srv.port());
  const auto t0 = std::chrono::steady_clock::now();
  c.send(get("/stream/4?interval=30ms"));
  auto got = c.read_responses(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("transfer-encoding").value_or(""), "chunked");
  EXPECT_EQ(got[0].body, "chunk 0\nchunk 1\nchunk 2\nchunk 3\n");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 90ms);
  // The connection goes on after a stream; HTTP/1.0 gets the stream delimited by the close.
  c.send(get("/"));
  EXPECT_EQ(c.read_responses(1).size(), 1u);
  raw_conn old(srv.port());
  old.send("GET /stream/2?interval=1ms HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(old.closed_within(2000ms));
  auto r = old.read_responses(1, 10ms);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "chunk 0\nchunk 1\n");
}

TEST(builtin_target, lognormal_delays_have_the_asked_median_and_p99) {
  EXPECT_EQ(lognormal_delay(10ms, 100ms, 0.0), 10ms);
  EXPECT_NEAR(to_seconds(lognormal_delay(10ms, 100ms, 2.3263478740408408)), 0.1, 1e-9);
  EXPECT_LT(lognormal_delay(10ms, 100ms, -3.0), 10ms);
  EXPECT_EQ(lognormal_delay(10ms, 10ms, 3.0), 10ms);  // p99 = median: no spread
  EXPECT_EQ(lognormal_delay(0ms, 10ms, 1.0), duration::zero());
}

TEST(server, metrics_follow_the_requests_and_expose_nothing_of_them) {
  running_server srv(builtin(), options());
  one(srv.port(), get("/secret-path-xyz", "X-Secret: hunter2\r\n"));
  one(srv.port(), get("/"));
  one(srv.port(), get("/"));
  auto m = one(srv.port(), get("/metrics"));
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.header("content-type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("barrage_http_requests_total{code=\"200\"} 2\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("barrage_http_requests_total{code=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE barrage_event_loop_lag_seconds histogram\n"), std::string::npos);
  EXPECT_NE(m.body.find("barrage_event_loop_lag_seconds_bucket{loop=\"0\",le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(m.body.find("barrage_connections_active 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("process_open_fds "), std::string::npos);
  EXPECT_EQ(m.body.find("secret"), std::string::npos);
  EXPECT_EQ(m.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(srv.get().metrics_text().find("secret"), std::string::npos);
}

TEST(server, a_connection_that_runs_out_of_memory_is_closed_unanswered_and_counted_in_the_metrics) {
  // The field table grows past its 16 slots in place only for a head with more fields: one no
  // allocation can hold ends that connection, not the server.
  server_options o = options();
  o.max_headers = std::numeric_limits<std::size_t>::max() / 2;
  running_server srv(builtin(), o);
  raw_conn c(srv.port());
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20; ++i) many += "X-F" + std::to_string(i) + ": v\r\n";
  c.send(many + "\r\n");
  EXPECT_TRUE(c.closed_within(2000ms));
  EXPECT_TRUE(c.read_responses(1, 100ms).empty());
  // The count follows the close (the socket closes as the connection unwinds): wait for it.
  const std::string counted = "barrage_server_swallowed_exceptions_total{where=\"connection\"} 1\n";
  std::string page;
  for (int i = 0; i < 200 && page.find(counted) == std::string::npos; ++i) {
    if (i > 0) std::this_thread::sleep_for(10ms);
    page = srv.get().metrics_text();
  }
  EXPECT_NE(page.find(counted), std::string::npos) << page;
  // The next connection, with few fields, is served.
  raw_conn d(srv.port());
  d.send(get("/"));
  auto got = d.read_responses(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200);
  srv.stop();
  EXPECT_FALSE(srv.error());
}

TEST(server, several_loops_share_the_port) {
  running_server srv(builtin(), options(3));
  std::vector<std::unique_ptr<raw_conn>> conns;
  for (int i = 0; i < 30; ++i) {
    conns.push_back(std::make_unique<raw_conn>(srv.port()));
    conns.back()->send(get("/"));
  }
  for (auto& c : conns) {
    auto got = c->read_responses(1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].body, "hello\n");
  }
  const std::string m = srv.get().metrics_text();
  for (const char* loop : {"loop=\"0\"", "loop=\"1\"", "loop=\"2\""}) EXPECT_NE(m.find(loop), std::string::npos) << loop;
  EXPECT_NE(m.find("barrage_http_requests_total{code=\"200\"} 30\n"), std::string::npos) << m;
  srv.stop();
  EXPECT_FALSE(srv.error());
}

TEST(server, a_port_in_use_is_one_clear_error) {
  running_server srv(builtin(), options());
  server_options o = options();
  o.listen = srv.get().local_address();
  try {
    http_server second(builtin(), o);
    FAIL() << "bound twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:"), std::string::npos) << e.what();
  }
  o.threads = 2;  // SO_REUSEPORT does not let a second server in either
  EXPECT_THROW(http_server(builtin(), o), std::system_error);
}

TEST(server, refuses_options_that_make_no_sense) {
  server_options o = options();
  o.threads = 0;
  EXPECT_THROW(http_server(builtin(), o), std::invalid_argument);
  o = options();
  o.stall = {100ms, 200ms};
  EXPECT_THROW(http_server(builtin(), o), std::invalid_argument);
  o = options();
  o.max_head_bytes = 100;
  EXPECT_THROW(http_server(builtin(), o), std::invalid_argument);
}

TEST(server, graceful_stop_finishes_requests_in_flight_and_closes_idle_connections) {
  running_server srv(builtin(), options());
  raw_conn idle(srv.port());
  idle.send(get("/"));
  ASSERT_EQ(idle.read_responses(1).size(), 1u);
  raw_conn busy(srv.port());
  busy.send(get("/delay/300ms"));
  std::this_thread::sleep_for(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  srv.get().stop();
  EXPECT_TRUE(idle.closed_within(500ms));  // idle: closed at once
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);
  auto got = busy.read_responses(1);  // busy: answered, then closed
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[0].header("connection").value_or(""), "close");
  EXPECT_TRUE(busy.closed_within(1000ms));
  srv.stop();  // serve() returned
  EXPECT_FALSE(srv.error());
  raw_conn late(srv.port());
  EXPECT_FALSE(late.connected() && late.send(get("/")) && !late.read_responses(1, 200ms).empty());
}

TEST(server, stop_cuts_what_outlives_the_grace) {
  server_options o = options();
  o.shutdown_grace = 100ms;
  running_server srv(builtin(), o);
  raw_conn busy(srv.port());
  busy.send(get("/delay/5s"));
  std::this_thread::sleep_for(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  srv.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_TRUE(busy.closed_within(500ms));
}

TEST(server, accepting_pauses_at_the_connection_cap) {
  server_options o = options();
  o.max_connections = 2;
  running_server srv(builtin(), o);
  raw_conn a(srv.port()), b(srv.port());
  a.send(get("/"));
  b.send(get("/"));
  ASSERT_EQ(a.read_responses(1).size(), 1u);
  ASSERT_EQ(b.read_responses(1).size(), 1u);
  raw_conn c(srv.port());  // the kernel completes the handshake; the server does not accept
  ASSERT_TRUE(c.connected());
  c.send(get("/"));
  EXPECT_TRUE(c.read_responses(1, 200ms).empty());
  ::shutdown(a.fd(), SHUT_RDWR);  // one leaves: the waiting one is taken
  auto got = c.read_responses(1, 2000ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200);
}

TEST(server, a_worker_gives_back_the_frames_of_a_burst_once_its_connections_have_closed) {
  router r;
  r.get("/cached", [](request&) -> task<response> {  // runs on the worker's thread: its cache
    co_return response(200, std::to_string(barrage::detail::frame_allocator::cached_blocks()));
  });
  running_server srv(std::move(r), options());
  const auto cached = [&] { return std::stoul(one(srv.port(), get("/cached")).body); };
  constexpr std::size_t burst = 400;
  {
    std::vector<std::unique_ptr<raw_conn>> conns;
    for (std::size_t i = 0; i < burst; ++i) {
      conns.push_back(std::make_unique<raw_conn>(srv.port()));
      conns.back()->send(get("/cached"));
      ASSERT_EQ(conns.back()->read_responses(1).size(), 1u);
    }
  }  // all closed: each left its coroutine frames in the worker's cache
  // Half the peak gone (and at least 64): the worker releases 0.5 s later, keeping 64 blocks
  // per size class (a connection's frames fall into 3 or 4 classes, a request's into 1 or 2).
  std::size_t left = cached();
  for (int i = 0; i < 40 && left >= burst; ++i) {
    std::this_thread::sleep_for(100ms);
    left = cached();
  }
  EXPECT_LT(left, burst) << "the frames of " << burst << " closed connections are still cached";
}

TEST(server, the_stall_schedule_holds_every_answer) {
  server_options o = options();
  o.stall = {300ms, 150ms};
  running_server srv(builtin(), o);
  raw_conn c(srv.port());
  duration longest{}, shortest = 1h;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < 700ms) {
    const auto s = std::chrono::steady_clock::now();
    c.send(get("/"));
    ASSERT_EQ(c.read_responses(1).size(), 1u);
    const auto took = std::chrono::steady_clock::now() - s;
    longest = std::max<duration>(longest, took);
    shortest = std::min<duration>(shortest, took);
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GE(longest, 80ms);
  EXPECT_LT(shortest, 20ms);
}

TEST(server, serves_on_the_callers_loop_in_process) {
  sync_wait([]() -> task<void> {
    http_server s(builtin(), options());
    auto serving = spawn(s.serve());
    auto c = co_await net::tcp_connect(s.local_address());
    CO_ASSERT_TRUE(c.ok());
    const std::string req = get("/") + get("/status/201", "Connection: close\r\n");
    co_await c->write_all(req.data(), req.size());
    std::string got;
    char buf[4096];
    for (;;) {
      const long n = co_await c->read(buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(got.find("HTTP/1.1 200 OK\r\n"), 0u);
    EXPECT_NE(got.find("HTTP/1.1 201 Created\r\n"), std::string::npos);
    s.stop();
    co_await serving;
  }());
}

// The read buffer starts at 2 KiB and grows when a read fills it; the field table holds 16 in
// place and grows for a head with more. A head of ~3.5 KiB with 40 fields, split at many
// points (each piece its own send and read), crosses both.
TEST(server, a_head_larger_than_the_initial_buffer_is_read_wherever_it_is_split) {
  running_server srv(builtin(), options());
  std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2500, 'p') + "\r\n";
  for (int i = 0; i < 40; ++i) head += "X-F" + std::to_string(i) + ": v" + std::to_string(i) + "\r\n";
  const std::string body(5000, 'b');
  const std::string request = head + "Content-Length: 5000\r\n\r\n" + body;
  std::vector<std::size_t> splits;
  for (std::size_t at = 1; at < request.size(); at += 211) splits.push_back(at);
  for (std::size_t at = 2040; at <= 2056; ++at) splits.push_back(at);  // around the initial size
  splits.push_back(head.size() + 24);                                   // at the end of the head
  for (std::size_t at : splits) {
    raw_conn c(srv.port());
    c.send(std::string_view(request).substr(0, at));
    std::this_thread::sleep_for(1ms);
    c.send(std::string_view(request).substr(at));
    auto got = c.read_responses(1);
    ASSERT_EQ(got.size(), 1u) << "split at " << at;
    EXPECT_EQ(got[0].status, 200) << "split at " << at;
    EXPECT_EQ(got[0].body, body) << "split at " << at;
  }
}

TEST(server, a_chunked_body_behind_a_head_that_fills_the_initial_buffer_is_read) {
  running_server srv(builtin(), options());
  // Heads of 2040 to 2048 bytes, the last filling the initial buffer: the chunks need room behind.
  const std::string before = "POST /echo HTTP/1.1\r\nHost: x\r\nX-Pad: ", after = "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t size = 2040; size <= 2048; ++size) {
    const std::size_t pad = size - before.size() - after.size();
    raw_conn c(srv.port());
    const std::string head = before + std::string(pad, 'p') + after;
    ASSERT_EQ(head.size(), size);
    c.send(head);
    std::this_thread::sleep_for(1ms);
    c.send("5\r\nhello\r\n" + std::string("bb8\r\n") + std::string(3000, 'z') + "\r\n0\r\n\r\n");
    auto got = c.read_responses(1);
    ASSERT_EQ(got.size(), 1u) << pad;
    EXPECT_EQ(got[0].body, "hello" + std::string(3000, 'z')) << pad;
  }
}

TEST(server, a_pipelined_burst_larger_than_the_initial_buffer_is_answered_in_order) {
  running_server srv(builtin(), options());
  raw_conn c(srv.port());
  std::string burst;
  for (int i = 0; i < 200; ++i) burst += "GET /status/" + std::to_string(200 + i % 7) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_GT(burst.size(), 3u * 2048);
  c.send(burst);
  auto got = c.read_responses(200);
  ASSERT_EQ(got.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)].status, 200 + i % 7) << i;
}

TEST(server, a_connection_grown_by_a_large_request_serves_small_and_large_ones_after_shrinking) {
  running_server srv(builtin(), options());
  raw_conn c(srv.port());
  auto post = [&](std::size_t n) {
    const std::string body(n, 'q');
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" + body);
    auto got = c.read_responses(1);
    return got.size() == 1 && got[0].body == body;
  };
  EXPECT_TRUE(post(20000));  // grows the read buffer, the output and the body buffer
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(post(10)) << i;  // more than quiet_rounds: shrunk
  EXPECT_TRUE(post(30000));
  EXPECT_TRUE(post(10));
}
