// barrage serve's HTTP/2 side in process: the h2c preface on the HTTP/1.1 port, the server's
// own answers (OPTIONS, 405, HEAD) as on HTTP/1.1, and a graceful stop (GOAWAY, the stream in
// flight answered). The client is h2::client_session over a blocking loopback socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "h2/client_session.hpp"
#include "raw_http.hpp"
#include "server/builtin_target.hpp"
#include "server/h2_connection.hpp"

using namespace barrage;
using namespace std::chrono_literals;
using barrage::test::running_server;

namespace {

server::server_options options() {
  server::server_options o;
  o.listen = *net::socket_address::parse("127.0.0.1:0");
  o.shutdown_grace = 2s;
  return o;
}

server::router builtin() {
  server::router r;
  server::add_builtin_routes(r);
  return r;
}

struct answer {
  int status = 0;
  std::map<std::string, std::string> fields;
  std::string body;
  bool closed = false;
};

/// An h2c client (prior knowledge) on a blocking socket.
class h2c_client {
 public:
  explicit h2c_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~h2c_client() { ::close(fd_); }

  std::int32_t get(std::string_view method, std::string_view path) {
    auto id = s_.submit({.method = method, .authority = "127.0.0.1", .path = path});
    return id ? *id : -1;
  }
  /// Sends and reads until `done()` or `timeout`; false on timeout.
  template <class F>
  bool pump(F done, std::chrono::milliseconds timeout = 2000ms) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      for (auto out = s_.take_output(); out && !out->empty(); out = s_.take_output())
        if (::send(fd_, out->data(), out->size(), MSG_NOSIGNAL) < 0) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[16384];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof = true;
        return done();
      }
      std::string_view rest(buf, static_cast<std::size_t>(n));
      while (!rest.empty()) {
        auto took = s_.feed(rest);
        if (!took) return false;
        for (const h2::event& e : s_.events()) record(e);
        s_.clear_events();
        rest.remove_prefix(*took);
      }
    }
    return true;
  }

  bool connected_ = false;
  bool eof = false;
  std::map<std::int32_t, answer> answers;
  std::optional<h2::goaway> goaway;

 private:
  void record(const h2::event& e) {
    if (auto* h = std::get_if<h2::response_head>(&e)) {
      answers[h->stream].status = h->status;
      for (const h2::field& f : h->fields) answers[h->stream].fields[std::string(f.name)] = std::string(f.value);
    } else if (auto* d = std::get_if<h2::data_chunk>(&e)) {
      answers[d->stream].body += d->bytes;
    } else if (auto* c = std::get_if<h2::stream_closed>(&e)) {
      answers[c->stream].closed = true;
    } else if (auto* g = std::get_if<h2::goaway>(&e)) {
      goaway = h2::goaway{g->last_stream_id, g->code, {}};
    }
  }
  int fd_ = -1;
  h2::client_session s_;
};

struct preface_case {
  const char* name;
  std::string_view bytes;
  bool prefix, complete;
};
const preface_case preface_cases[] = {
    {"nothing_yet", "", true, false},
    {"the_first_bytes", "PRI * HT", true, false},
    {"all_of_it", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", true, true},
    {"all_of_it_and_a_frame", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04", true, true},
    {"an_http11_request", "GET / HTTP/1.1\r\n", false, false},
    {"a_method_named_PRI_on_http11", "PRI * HTTP/1.1\r\n", false, false},
    {"a_lowercase_preface", "pri * http/2.0\r\n", false, false},
};
class h2_preface : public ::testing::TestWithParam<preface_case> {};
TEST_P(h2_preface, IsRecognisedFromTheFirstBytesOfAPlainConnection) {
  const auto& c = GetParam();
  bool complete = false;
  EXPECT_EQ(server::detail::h2_preface_prefix(c.bytes, complete), c.prefix);
  EXPECT_EQ(complete, c.prefix && c.complete);
}
INSTANTIATE_TEST_SUITE_P(H2Server, h2_preface, ::testing::ValuesIn(preface_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(H2Server, TheServersOwnAnswersAreTheSameAsOverHttp11) {
  running_server srv(builtin(), options());
  h2c_client c(srv.port());
  ASSERT_TRUE(c.connected_);
  const auto options_star = c.get("OPTIONS", "*");
  const auto not_allowed = c.get("DELETE", "/echo");
  const auto head = c.get("HEAD", "/bytes/100");
  const auto missing = c.get("GET", "/nowhere");
  const auto path_params = c.get("GET", "/status/503");
  ASSERT_TRUE(c.pump([&] {
    for (auto id : {options_star, not_allowed, head, missing, path_params})
      if (!c.answers[id].closed) return false;
    return true;
  }));
  EXPECT_EQ(c.answers[options_star].status, 204);
  EXPECT_NE(c.answers[options_star].fields["allow"].find("POST"), std::string::npos);
  EXPECT_EQ(c.answers[not_allowed].status, 405);
  EXPECT_EQ(c.answers[not_allowed].fields["allow"], "POST, GET, HEAD, OPTIONS");
  EXPECT_EQ(c.answers[head].status, 200);
  EXPECT_EQ(c.answers[head].fields["content-length"], "100");
  EXPECT_EQ(c.answers[head].body, "");
  EXPECT_EQ(c.answers[missing].status, 404);
  EXPECT_EQ(c.answers[path_params].status, 503);
  EXPECT_EQ(c.answers[path_params].fields["server"], "barrage");
  EXPECT_FALSE(c.answers[path_params].fields["date"].empty());
}

TEST(H2Server, AGracefulStopSendsGoawayAnswersTheStreamInFlightThenCloses) {
  running_server srv(builtin(), options());
  h2c_client c(srv.port());
  const auto slow = c.get("GET", "/delay/300ms");
  ASSERT_TRUE(c.pump([&] { return false; }, 100ms) == false);  // sent; nothing answered yet
  const auto t0 = std::chrono::steady_clock::now();
  srv.get().stop();
  ASSERT_TRUE(c.pump([&] { return c.answers[slow].closed && c.eof; }, 2000ms));
  EXPECT_EQ(c.answers[slow].status, 200);
  EXPECT_EQ(c.answers[slow].body, "ok\n");
  ASSERT_TRUE(c.goaway.has_value());
  EXPECT_EQ(c.goaway->code, h2::error_code::no_error);
  EXPECT_EQ(c.goaway->last_stream_id, slow);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  srv.stop();
  EXPECT_FALSE(srv.error());
}

TEST(H2Server, AConnectionWithNoStreamGetsGoawayAtTheIdleTimeout) {
  auto o = options();
  o.idle_timeout = 200ms;
  running_server srv(builtin(), o);
  h2c_client c(srv.port());
  const auto first = c.get("GET", "/");
  ASSERT_TRUE(c.pump([&] { return c.answers[first].closed; }));
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.pump([&] { return c.eof; }, 2000ms));
  ASSERT_TRUE(c.goaway.has_value());
  EXPECT_EQ(c.goaway->code, h2::error_code::no_error);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
}

}  // namespace
