// The server's WebSocket routes in process: the hand-over after a valid upgrade (frames sent
// behind the request included), refusals, the close at a drain, and the options' tables. The
// client side is ws::frame_codec in the client role over a blocking socket.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <variant>
#include <vector>

#include "raw_http.hpp"
#include "server/builtin_target.hpp"
#include "server/ws_options.hpp"
#include "server/ws_session.hpp"
#include "ws/frame_codec.hpp"
#include "ws/handshake.hpp"

namespace barrage::server {
namespace {

using namespace std::chrono_literals;

// A blocking WebSocket client: the upgrade, then frames through a client codec.
class ws_client {
 public:
  explicit ws_client(std::uint16_t port) : codec_(ws::role::client, {}, [](std::span<std::uint8_t> b) {
    for (auto& x : b) x = 0x3c;
  }) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~ws_client() { ::close(fd_); }

  void send(std::string_view bytes) { ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<long>(bytes.size())); }
  /// The upgrade request for `target` plus `then` in the same write; returns the response head.
  std::string upgrade(std::string_view target, std::string_view then = {}) {
    std::string req = ws::build_upgrade_request({.host = "127.0.0.1", .target = target, .key = key});
    req.append(then);
    send(req);
    while (buf_.find("\r\n\r\n") == std::string::npos && fill()) {
    }
    const auto end = buf_.find("\r\n\r\n");
    if (end == std::string::npos) return buf_;
    std::string head = buf_.substr(0, end + 4);
    buf_.erase(0, end + 4);
    return head;
  }
  /// Frames of `kind` for the server, masked.
  std::string frames(ws::message_kind kind, std::string_view data) {
    EXPECT_TRUE(codec_.queue_message(kind, data).ok());
    std::string out(codec_.pending_output());
    codec_.consume_output(out.size());
    return out;
  }
  /// Events until `count` arrived, the server closed, or 5 s passed.
  std::vector<ws::event> events(std::size_t count) {
    std::vector<ws::event> got;
    for (;;) {
      for (const auto& e : codec_.feed(buf_)) got.push_back(e);
      buf_.clear();
      if (got.size() >= count || !fill()) return got;
    }
  }
  std::string buf_;
  static constexpr std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==";

 private:
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    char tmp[65536];
    const long n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  int fd_ = -1;
  ws::frame_codec codec_;
};

server_options local_options() {
  server_options o;
  o.listen = *net::socket_address::parse("127.0.0.1:0");
  o.ws.max_message_bytes = 1000;
  return o;
}

router builtin() {
  router r;
  add_builtin_routes(r);
  return r;
}

TEST(ws_server, echoes_messages_including_frames_sent_behind_the_upgrade_request) {
  test::running_server srv(builtin(), local_options());
  ws_client c(srv.port());
  const std::string early = c.frames(ws::message_kind::text, "early") + c.frames(ws::message_kind::binary, "\x01\x02");
  const std::string head = c.upgrade("/ws/echo", early);
  ASSERT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos) << head;
  auto got = c.events(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(std::get<ws::message>(got[0]).data, "early");
  EXPECT_EQ(std::get<ws::message>(got[1]).kind, ws::message_kind::binary);
  c.send(c.frames(ws::message_kind::text, std::string(1001, 'x')));  // over the 1000-byte limit
  got = c.events(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<ws::peer_close>(got[0]).code, ws::close_code::message_too_big);
}

TEST(ws_server, a_drain_closes_websocket_connections_with_1001) {
  test::running_server srv(builtin(), local_options());
  ws_client c(srv.port());
  ASSERT_EQ(c.upgrade("/ws/echo").rfind("HTTP/1.1 101 ", 0), 0u);
  std::this_thread::sleep_for(50ms);  // the session waits to read
  srv.get().stop();
  const auto got = c.events(1);
  ASSERT_EQ(got.size(), 1u);
  const auto& pc = std::get<ws::peer_close>(got[0]);
  EXPECT_EQ(pc.code, ws::close_code::going_away);
  EXPECT_EQ(pc.reason, "server shutting down");
}

TEST(ws_server, refuses_bad_upgrades_and_plain_gets_of_websocket_routes) {
  test::running_server srv(builtin(), local_options());
  {
    test::raw_conn c(srv.port());
    ASSERT_TRUE(c.send("GET /ws/echo HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read_responses(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, 426);
    EXPECT_EQ(r[0].header("upgrade"), "websocket");
  }
  ws_client bad(srv.port());
  const std::string head = bad.upgrade("/ws/feed?size=2000");  // above the 1000-byte limit
  EXPECT_EQ(head.rfind("HTTP/1.1 400 ", 0), 0u) << head;
  // Upgrade to websocket elsewhere is ignored: the route answers as usual.
  ws_client other(srv.port());
  EXPECT_EQ(other.upgrade("/").rfind("HTTP/1.1 200 ", 0), 0u);
}

struct feed_case {
  const char* name;
  std::string_view query;
  bool ok;
  duration interval;
  std::size_t size;
};

TEST(ws_server, feed_parameters_are_checked_against_the_limits) {
  ws_limits l;
  l.max_message_bytes = 4096;
  const feed_case cases[] = {
      {"defaults", "", true, 1s, 64},
      {"both", "interval=20ms&size=1KiB", true, 20ms, 1024},
      {"unknown names ignored", "x=1&size=10", true, 1s, 10},
      {"interval below the floor", "interval=1us", false, {}, 0},
      {"interval above an hour", "interval=2h", false, {}, 0},
      {"interval not a duration", "interval=soon", false, {}, 0},
      {"size above the message limit", "size=5000", false, {}, 0},
      {"size not a size", "size=big", false, {}, 0},
  };
  for (const auto& c : cases) {
    auto p = detail::parse_feed_params(c.query, l);
    ASSERT_EQ(p.ok(), c.ok) << c.name;
    if (!c.ok) continue;
    EXPECT_EQ(p->interval, c.interval) << c.name;
    EXPECT_EQ(p->size, c.size) << c.name;
  }
}

TEST(ws_server, websocket_options_go_through_their_parsers) {
  auto d = make_ws_limits({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->max_message_bytes, 1u << 20);
  auto o = make_ws_limits({.max_message = "64KiB", .ping_interval = "5s", .ping_timeout = "1s"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->max_message_bytes, 65536u);
  EXPECT_EQ(o->ping_interval, 5s);
  EXPECT_EQ(o->ping_timeout, 1s);
  EXPECT_EQ(make_ws_limits({.max_message = "100"}).error(),
            "--ws-max-message: bad size \"100\": must be between 125 bytes and 64MiB");
  EXPECT_FALSE(make_ws_limits({.ping_interval = "0"}).ok());
  EXPECT_FALSE(make_ws_limits({.ping_timeout = "x"}).ok());
}

}  // namespace
}  // namespace barrage::server
