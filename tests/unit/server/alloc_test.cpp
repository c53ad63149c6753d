// Zero heap allocations per request on the keep-alive path for simple responses (the
// counting operator new is tests/support/counting_allocator.cpp, linked into every unit test).
#include <gtest/gtest.h>

#include <string>

#include "counting_allocator.hpp"
#include "raw_http.hpp"
#include "server/builtin_target.hpp"

using namespace barrage;
using namespace barrage::server;
using barrage::test::raw_conn;
using barrage::test::running_server;
using namespace std::chrono_literals;

TEST(allocations, none_per_request_on_the_keep_alive_path) {
  router r;
  add_builtin_routes(r);
  // The server thread's own count, read by a request (a short decimal fits in the SSO).
  r.get("/allocs", [](request&) -> task<response> {
    co_return response(200, std::to_string(barrage::test::allocations_on_this_thread()));
  });
  server_options o;
  o.listen = *net::socket_address::parse("127.0.0.1:0");
  running_server srv(std::move(r), o);
  raw_conn c(srv.port());
  auto count = [&] {
    c.send("GET /allocs HTTP/1.1\r\nHost: h\r\n\r\n");
    auto got = c.read_responses(1);
    return got.empty() ? std::uint64_t{0} : std::stoull(got[0].body);
  };
  const std::string simple = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string post = "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  for (int i = 0; i < 200; ++i) {  // warm up: buffers, frames and queues reach their sizes
    c.send(i % 2 ? simple : post);
    ASSERT_EQ(c.read_responses(1).size(), 1u);
  }
  count();
  const std::uint64_t before = count();
  EXPECT_GT(before, 0u) << "the counting operator new is not in effect";
  for (int i = 0; i < 1000; ++i) {
    c.send(i % 2 ? simple : post);
    ASSERT_EQ(c.read_responses(1).size(), 1u);
  }
  c.send(simple + simple + simple);  // pipelined too
  ASSERT_EQ(c.read_responses(3).size(), 3u);
  const std::uint64_t after = count();
  EXPECT_EQ(after - before, 0u) << "allocations on the server's thread for 1003 requests";
}
