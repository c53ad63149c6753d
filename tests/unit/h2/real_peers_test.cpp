// The sessions against peers nobody here wrote, on 127.0.0.1: the client session against
// nginx's h2c (prior knowledge), the server session under curl --http2-prior-knowledge and
// h2load. Blocking sockets with poll deadlines: each conversation is bounded in time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "h2_harness.hpp"
#include "nginx_h2c_fixture.hpp"

namespace barrage::h2 {
namespace {

using namespace testing;
using namespace std::chrono_literals;

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Writes the session's output and feeds it what the peer sends until `done()`, the peer
/// closes, or 10 s pass; `on_event` sees each event before it is recorded. Whether done() held.
template <class Session>
bool converse(Session& s, int fd, transcript& t, const std::function<bool()>& done,
              const std::function<void(Session&, const event&)>& on_event = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string buf(64 * 1024, '\0');
  const auto take_events = [&] {
    for (const event& e : s.events()) {
      if (on_event) on_event(s, e);
      t.record(e);
    }
    s.clear_events();
  };
  for (;;) {
    for (;;) {
      auto out = s.take_output();
      if (!out.ok()) return false;
      take_events();
      if (out->empty()) break;
      if (!write_all(fd, *out)) return done();
    }
    if (done() || (!s.wants_read() && !s.wants_write())) return done();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return done();
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) return done();
    std::string_view in(buf.data(), static_cast<std::size_t>(n));
    while (!in.empty()) {  // feed() pauses when the events reach their budget
      auto fed = s.feed(in);
      if (!fed.ok()) return false;
      in.remove_prefix(*fed);
      take_events();
    }
  }
}

class NginxH2c : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { nginx_ = new test::nginx_h2c_process(); }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }
  void SetUp() override {
    if (!nginx_->available()) GTEST_SKIP() << "nginx (nginx-light) is not installed";
  }
  int connect(int port) {
    fd_ = test::loopback_connect(port);
    return fd_;
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
  }
  static test::nginx_h2c_process* nginx_;
  int fd_ = -1;
};
test::nginx_h2c_process* NginxH2c::nginx_ = nullptr;

TEST_F(NginxH2c, AGetIsAnsweredWithItsStatusFieldsAndBodyAndNginxsSettingsArriveAsAnEvent) {
  client_session c;
  transcript t;
  ASSERT_GE(connect(nginx_->port()), 0);
  ASSERT_TRUE(c.submit({.authority = "127.0.0.1", .path = "/"}).ok());
  ASSERT_TRUE(converse(c, fd_, t, [&] { return t.has("closed 1 NO_ERROR"); }));
  EXPECT_TRUE(t.has("settings"));
  EXPECT_EQ(t.last_settings.max_concurrent_streams, 4u);  // http2_max_concurrent_streams 4
  EXPECT_TRUE(t.has("head 1 200"));
  EXPECT_TRUE(t.has("end 1"));
  EXPECT_EQ(t.bodies[1], "hello\n");
  bool server_field = false;
  for (const auto& [name, value] : t.fields[1]) server_field |= name == "server" && value.starts_with("nginx");
  EXPECT_TRUE(server_field);
}

TEST_F(NginxH2c, RequestsSentBeforeNginxsSettingsBeyondItsLimitAreRefusedAndNoneIsLost) {
  // nghttp2 assumes 100 streams until the server's SETTINGS say 4: nginx refuses the excess
  // (REFUSED_STREAM: not processed, safe to retry). Every stream still ends, with a code.
  client_session c;
  transcript t;
  ASSERT_GE(connect(nginx_->port()), 0);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(c.submit({.authority = "127.0.0.1", .path = "/"}).ok());
  ASSERT_TRUE(converse(c, fd_, t, [&] { return c.open_streams() == 0; }));
  std::size_t ok = 0, refused = 0;
  for (int id = 1; id < 80; id += 2) {
    ok += t.has("closed " + std::to_string(id) + " NO_ERROR") && t.bodies[id] == "hello\n";
    refused += t.has("closed " + std::to_string(id) + " REFUSED_STREAM");
  }
  EXPECT_GE(ok, 4u);
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(ok + refused, 40u);
}

TEST_F(NginxH2c, FortyRequestsAllCompleteWhenOneStreamIsAssumedUntilNginxsSettingsArrive) {
  client_session c({.peer_streams_before_settings = 1});
  transcript t;
  ASSERT_GE(connect(nginx_->port()), 0);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(c.submit({.authority = "127.0.0.1", .path = "/"}).ok());
  EXPECT_EQ(c.free_slots(), 0u);
  ASSERT_TRUE(converse(c, fd_, t, [&] { return c.open_streams() == 0; }));
  for (int id = 1; id < 80; id += 2) {
    EXPECT_TRUE(t.has("closed " + std::to_string(id) + " NO_ERROR")) << id;
    EXPECT_EQ(t.bodies[id], "hello\n") << id;
  }
}

TEST_F(NginxH2c, AMebibyteDownloadsWholeThroughASmallWindowReturnedAsItArrives) {
  client_session c({.stream_window = 4096, .keep_data_bytes = true});
  transcript t;
  ASSERT_GE(connect(nginx_->port()), 0);
  ASSERT_TRUE(c.submit({.authority = "127.0.0.1", .path = "/big.bin"}).ok());
  ASSERT_TRUE(converse(c, fd_, t, [&] { return t.has("closed 1 NO_ERROR"); }));
  EXPECT_EQ(t.bodies[1].size(), std::size_t{1} << 20);
  EXPECT_TRUE(t.bodies[1] == test::big_body());
  EXPECT_GE(t.data_events, (std::size_t{1} << 20) / 4096);
}

TEST_F(NginxH2c, AMebibyteUploadHonoursNginxsWindowsAndLandsIntact) {
  client_session c;
  transcript t;
  ASSERT_GE(connect(nginx_->port()), 0);
  const std::string body = test::big_body();
  auto id = c.submit({.method = "PUT", .authority = "127.0.0.1", .path = "/up/one.bin", .body = body});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(converse(c, fd_, t, [&] { return c.open_streams() == 0; }));
  EXPECT_TRUE(t.has("head 1 201 end"));  // Created
  EXPECT_TRUE(t.has("closed 1 NO_ERROR"));
  EXPECT_TRUE(nginx_->stored("one.bin") == body);
}

TEST_F(NginxH2c, NginxsGoawayAfterFiveRequestsRefusesTheStreamsAboveItsLastStreamId) {
  client_session c;
  transcript t;
  ASSERT_GE(connect(nginx_->short_lived_port()), 0);
  // After nginx's SETTINGS, so that all eight go out at once.
  ASSERT_TRUE(converse(c, fd_, t, [&] { return t.has("settings"); }));
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(c.submit({.authority = "127.0.0.1", .path = "/"}).ok());
  converse(c, fd_, t, [&] { return c.open_streams() == 0; });
  EXPECT_EQ(c.open_streams(), 0u);
  std::size_t ok = 0, refused = 0;
  for (int id = 1; id < 16; id += 2) {
    ok += t.has("closed " + std::to_string(id) + " NO_ERROR");
    refused += t.has("closed " + std::to_string(id) + " REFUSED_STREAM");
  }
  EXPECT_EQ(ok, 5u);
  EXPECT_EQ(refused, 3u);
  EXPECT_TRUE(t.has("goaway 9 NO_ERROR"));
  EXPECT_FALSE(c.submit({.authority = "127.0.0.1", .path = "/"}).ok());
}

/// A server session on a loopback listener, for one client connection in a thread.
class one_connection_server {
 public:
  explicit one_connection_server(std::string body) : body_(std::move(body)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 1);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~one_connection_server() {
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  /// After the client is gone (the destructor has joined): what the server saw.
  const transcript& seen() const { return seen_; }

 private:
  void serve() {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return;
    const int fd = ::accept(listener_, nullptr, nullptr);
    server_session s;
    const field fs[] = {{"content-type", "text/plain"}};
    converse<server_session>(s, fd, seen_, [] { return false; }, [&](server_session& srv, const event& e) {
      if (const auto* end = std::get_if<stream_end>(&e)) (void)srv.respond(end->stream, {.fields = fs, .body = body_});
    });
    ::close(fd);
  }
  std::string body_;
  int listener_ = -1, port_ = 0;
  std::thread thread_;
  transcript seen_;
};

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

TEST(ServerSessionUnderRealClients, CurlWithPriorKnowledgeGetsTheResponseOverHttp2) {
  if (::access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "curl is not installed";
  std::string out;
  transcript seen;
  {
    one_connection_server server("served over h2\n");
    out = run_command("curl -s --max-time 10 --http2-prior-knowledge -H 'x-probe: 1' -w '%{http_version} %{http_code}' "
                      "http://127.0.0.1:" + std::to_string(server.port()) + "/path?q=1");
  }
  EXPECT_EQ(out, "served over h2\n2 200");
}

TEST(ServerSessionUnderRealClients, H2loadsHundredRequestsOverTenStreamsAllSucceed) {
  if (::access("/usr/bin/h2load", X_OK) != 0) GTEST_SKIP() << "h2load (nghttp2-client) is not installed";
  std::string out;
  {
    one_connection_server server("ok\n");
    out = run_command("timeout 20 h2load -n 100 -c 1 -m 10 http://127.0.0.1:" + std::to_string(server.port()) + "/ 2>&1");
  }
  EXPECT_NE(out.find("100 succeeded, 0 failed, 0 errored, 0 timeout"), std::string::npos) << out;
  EXPECT_NE(out.find("status codes: 100 2xx"), std::string::npos) << out;
}

}  // namespace
}  // namespace barrage::h2
