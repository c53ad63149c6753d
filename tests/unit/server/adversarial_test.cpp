// The server against hostile and odd bytes over raw sockets: each case is the exact bytes
// sent and the statuses (in order) and connection state expected back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raw_http.hpp"
#include "server/builtin_target.hpp"

using namespace barrage;
using namespace barrage::server;
using barrage::test::raw_conn;
using barrage::test::running_server;
using namespace std::chrono_literals;

namespace {

server_options test_options() {
  server_options o;
  o.listen = *net::socket_address::parse("127.0.0.1:0");
  o.max_head_bytes = 2048;
  o.max_request_line = 1024;
  o.max_headers = 20;
  o.max_body_bytes = 1024;
  o.head_timeout = 300ms;
  o.idle_timeout = 400ms;
  o.body_timeout = 300ms;
  o.shutdown_grace = 2s;
  return o;
}

router test_routes() {
  router r;
  add_builtin_routes(r);
  r.get("/p/{n}", [](request& req) -> task<response> { co_return response(200, std::string(req.param("n"))); });
  return r;
}

running_server& shared_server() {
  static running_server s(test_routes(), test_options());
  return s;
}

struct adversarial_case {
  const char* name;
  std::string bytes;
  std::vector<int> statuses;          // in order
  bool closed;                        // the server closes the connection after them
  std::vector<std::string> bodies{};  // when given, per response
};

std::string get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n" + std::string(extra) + "\r\n";
}

std::vector<adversarial_case> cases() {
  const std::string big_field = "X-Big: " + std::string(3000, 'b') + "\r\n";
  return {
      {"valid GET", get("/"), {200}, false, {"hello\n"}},
      {"pipelined three, answered in order", get("/p/1") + get("/p/2") + get("/p/3"), {200, 200, 200}, false,
       {"1", "2", "3"}},
      {"POST with a Content-Length body",
       "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", {200}, false, {"hello"}},
      {"POST with a chunked body",
       "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n",
       {200}, false, {"hello world"}},
      {"chunked body with a trailer, then a pipelined GET",
       "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n" + get("/p/9"),
       {200, 200}, false, {"abc", "9"}},
      {"Content-Length with Transfer-Encoding",
       "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400}, true},
      {"duplicate differing Content-Length",
       "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", {400}, true},
      {"Content-Length list", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello", {400}, true},
      {"negative Content-Length", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", {400}, true},
      {"bad chunk size", "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
       {400}, true},
      {"chunk size with 0x", "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
       {400}, true},
      {"chunk data overruns its size",
       "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello!!\r\n0\r\n\r\n", {400}, true},
      {"chunk size overflow",
       "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n", {400}, true},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n", {400}, true},
      {"bare CR in a field value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: o\rne\r\n\r\n", {400}, true},
      {"bare LF line end", "GET / HTTP/1.1\nHost: h\r\n\r\n", {400}, true},
      {"NUL in a field value", std::string("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n", 37), {400}, true},
      {"Content_Length beside Content-Length",
       "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent_Length: 9\r\n\r\nhi", {400}, true},
      {"space before the colon", "GET / HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n", {400}, true},
      {"unknown transfer coding", "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", {501}, true},
      {"chunked not last", "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", {400}, true},
      {"Transfer-Encoding in HTTP/1.0",
       "POST /echo HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400}, true},
      {"oversized head", get("/", big_field), {431}, true},
      {"too many fields", get("/", [] {
         std::string s;
         for (int i = 0; i < 30; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
         return s;
       }()),
       {431}, true},
      {"long target", get("/" + std::string(1500, 'a')), {414}, true},
      {"long method", std::string(1500, 'A') + " / HTTP/1.1\r\nHost: h\r\n\r\n", {400}, true},
      {"body over the limit",
       "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'x'), {413}, true},
      {"chunked body over the limit",
       "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n300\r\n" + std::string(0x300, 'x') + "\r\n300\r\n" +
           std::string(0x300, 'y') + "\r\n0\r\n\r\n",
       {413}, true},
      {"missing Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", {400}, true},
      {"two Host fields", "GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", {400}, true},
      {"HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", {505}, true},
      {"HTTP/0.9 request line", "GET /\r\n\r\n", {400}, true},
      {"binary garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15), {400}, true},
      {"unknown expectation", get("/", "Expect: 200-ok\r\n"), {417}, true},
      {"two Content-Type fields",
       "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 1\r\n\r\nx", {400},
       true},
      {"HTTP/1.0 closes after the answer", "GET / HTTP/1.0\r\n\r\n", {200}, true},
      {"HTTP/1.0 keep-alive stays open", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", {200}, false},
      {"Connection: close", get("/", "Connection: close\r\n"), {200}, true},
      {"unknown path", get("/nowhere"), {404}, false},
      {"known path, other method", "DELETE / HTTP/1.1\r\nHost: h\r\n\r\n", {405}, false},
      {"unknown method", "FOOBAR / HTTP/1.1\r\nHost: h\r\n\r\n", {501}, false},
      {"lower-case method", "get / HTTP/1.1\r\nHost: h\r\n\r\n", {501}, false},
      {"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", {501}, false},
      {"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", {204}, false},
      {"OPTIONS on a path", "OPTIONS /echo HTTP/1.1\r\nHost: h\r\n\r\n", {204}, false},
      {"errors after good pipelined requests keep their order", get("/p/1") + "GET / HTTP/1.1\r\n\r\n" + get("/p/2"),
       {200, 400}, true},
      {"leading empty line", "\r\n" + get("/"), {400}, true},
      {"fragment in the target", get("/p/1#frag"), {400}, true},
      {"percent-encoded NUL in the path", get("/p%00x"), {400}, true},
  };
}

}  // namespace

TEST(adversarial, each_case_gets_its_exact_answer) {
  running_server& srv = shared_server();
  for (const adversarial_case& c : cases()) {
    SCOPED_TRACE(c.name);
    raw_conn conn(srv.port());
    ASSERT_TRUE(conn.connected());
    conn.send(c.bytes);
    const auto got = conn.read_responses(c.statuses.size(), 1000ms);
    std::vector<int> statuses;
    for (const auto& r : got) statuses.push_back(r.status);
    EXPECT_EQ(statuses, c.statuses);
    for (std::size_t i = 0; i < c.bodies.size() && i < got.size(); ++i) EXPECT_EQ(got[i].body, c.bodies[i]);
    if (c.closed) {
      EXPECT_TRUE(conn.closed_within(1500ms)) << "expected the server to close";
      EXPECT_EQ(conn.unread(), "") << "nothing after the last expected response";
      if (!got.empty()) {
        EXPECT_EQ(got.back().header("connection").value_or(""), "close");
      }
    } else {
      EXPECT_FALSE(conn.closed_within(30ms)) << "expected the connection to stay open";
      EXPECT_EQ(conn.unread(), "") << "nothing after the last expected response";
    }
  }
}

TEST(adversarial, allow_lists_the_methods_of_the_path) {
  raw_conn conn(shared_server().port());
  conn.send("DELETE /echo HTTP/1.1\r\nHost: h\r\n\r\nOPTIONS /echo HTTP/1.1\r\nHost: h\r\n\r\n");
  auto got = conn.read_responses(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, 405);
  EXPECT_EQ(got[0].header("allow").value_or(""), "POST, GET, HEAD, OPTIONS");
  EXPECT_EQ(got[1].status, 204);
  EXPECT_EQ(got[1].header("allow").value_or(""), "POST, GET, HEAD, OPTIONS");
  EXPECT_FALSE(got[1].header("content-length"));
}

TEST(adversarial, head_gets_the_headers_without_the_body) {
  raw_conn conn(shared_server().port());
  conn.send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n" + get("/p/7"));
  auto head = conn.read_responses(1, 1000ms, /*head_request=*/true);
  ASSERT_EQ(head.size(), 1u);
  EXPECT_EQ(head[0].status, 200);
  EXPECT_EQ(head[0].header("content-length").value_or(""), "6");
  auto next = conn.read_responses(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].body, "7");  // nothing of a body came between the two
}

TEST(adversarial, fields_with_underscores_are_dropped) {
  raw_conn conn(shared_server().port());
  conn.send("POST /headers HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nX_Forwarded_For: 1.2.3.4\r\nX-Ok: 1\r\n\r\nhi");
  auto got = conn.read_responses(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[0].body, "Host: h\nContent-Length: 2\nX-Ok: 1\n");
}

TEST(adversarial, expect_100_continue_is_answered_before_the_body) {
  raw_conn conn(shared_server().port());
  conn.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto interim = conn.read_responses(1, 1000ms);
  ASSERT_EQ(interim.size(), 1u);
  EXPECT_EQ(interim[0].status, 100);
  conn.send("hello");
  auto final_ = conn.read_responses(1);
  ASSERT_EQ(final_.size(), 1u);
  EXPECT_EQ(final_[0].status, 200);
  EXPECT_EQ(final_[0].body, "hello");
}

TEST(adversarial, a_huge_declared_body_is_refused_when_it_starts_to_arrive) {
  raw_conn conn(shared_server().port());
  conn.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999\r\n\r\n");
  EXPECT_TRUE(conn.read_responses(1, 100ms).empty());  // nothing to refuse yet
  conn.send("xxxx");
  auto got = conn.read_responses(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 413);
  EXPECT_TRUE(conn.closed_within(1500ms));
}

TEST(adversarial, a_huge_body_is_refused_at_once_when_the_client_waits_for_100_continue) {
  raw_conn conn(shared_server().port());
  conn.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
  auto got = conn.read_responses(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 413);
}

TEST(adversarial, a_body_larger_than_the_read_buffer_arrives_whole) {
  server_options o = test_options();
  o.max_body_bytes = 200'000;
  running_server srv(test_routes(), o);
  raw_conn conn(srv.port());
  std::string body(150'000, 'q');
  for (std::size_t i = 0; i < body.size(); i += 1000) body[i] = 'Q';
  conn.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 150000\r\n\r\n" + body + get("/p/after"));
  auto got = conn.read_responses(2, 3000ms);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, body);
  EXPECT_EQ(got[1].body, "after");
  // and chunked, in many small chunks
  std::string chunked;
  for (int i = 0; i < 2000; ++i) chunked += "32\r\n" + std::string(50, static_cast<char>('a' + i % 26)) + "\r\n";
  conn.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + "0\r\n\r\n");
  got = conn.read_responses(1, 3000ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body.size(), 100'000u);
  EXPECT_EQ(got[0].body.substr(0, 3), "aaa");
}

TEST(adversarial, a_slow_head_is_cut_at_its_deadline) {
  raw_conn conn(shared_server().port());
  const auto t0 = std::chrono::steady_clock::now();
  conn.send("GET / HTTP/1.1\r\nHo");
  EXPECT_TRUE(conn.closed_within(2000ms));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 250ms);
  auto got = conn.read_responses(1, 10ms);
  if (!got.empty()) {
    EXPECT_EQ(got[0].status, 408);
  }
}

TEST(adversarial, a_head_dribbled_byte_by_byte_is_cut_at_the_head_deadline) {
  raw_conn conn(shared_server().port());
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: " + std::string(100, 's') + "\r\n\r\n";
  const auto t0 = std::chrono::steady_clock::now();
  bool cut = false;
  for (char c : head) {  // one byte per 20 ms: the whole head would take 2.6 s
    if (!conn.send(std::string_view(&c, 1)) || conn.closed_within(20ms)) {
      cut = true;
      break;
    }
  }
  EXPECT_TRUE(cut);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
}

TEST(adversarial, a_slow_body_is_cut) {
  raw_conn conn(shared_server().port());
  conn.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhello");
  EXPECT_TRUE(conn.closed_within(2000ms));
  auto got = conn.read_responses(1, 10ms);
  if (!got.empty()) {
    EXPECT_EQ(got[0].status, 408);
  }
}

TEST(adversarial, an_idle_keep_alive_connection_is_closed_after_the_idle_timeout) {
  raw_conn conn(shared_server().port());
  conn.send(get("/"));
  ASSERT_EQ(conn.read_responses(1).size(), 1u);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(conn.closed_within(2000ms));
  const auto idle = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(idle, 300ms);
  EXPECT_LT(idle, 1500ms);
  EXPECT_TRUE(conn.unread().empty());  // closed silently
}

TEST(adversarial, a_connection_that_keeps_working_is_not_cut_by_old_deadlines) {
  raw_conn conn(shared_server().port());
  for (int i = 0; i < 8; ++i) {  // 8 x 100 ms: twice the idle timeout in total
    conn.send(get("/p/" + std::to_string(i)));
    auto got = conn.read_responses(1);
    ASSERT_EQ(got.size(), 1u) << i;
    EXPECT_EQ(got[0].body, std::to_string(i));
    std::this_thread::sleep_for(100ms);
  }
}
