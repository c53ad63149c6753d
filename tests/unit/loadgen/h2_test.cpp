// The generator over HTTP/2 (closed model): h2c with prior knowledge and h2 by ALPN against a
// real nginx, and every stream accounted when a server refuses, resets, GOAWAYs or closes.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "loadgen/engine.hpp"
#include "loadgen/report_json.hpp"
#include "loadgen/report_text.hpp"
#include "nginx_h2c_fixture.hpp"
#include "nginx_tls_fixture.hpp"
#include "test_pki.hpp"

using namespace barrage;
using namespace barrage::loadgen;
using namespace std::chrono_literals;

namespace {

run_config h2c_config(int port, unsigned connections, unsigned streams, std::uint64_t requests) {
  run_config c;
  c.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  c.http = http_choice::h2_prior_knowledge;
  c.connections = connections;
  c.streams = streams;
  c.threads = 1;
  c.requests = requests;
  c.timeout = 5s;
  c.connect_timeout = 2s;
  return c;
}

std::uint64_t errors_of(const run_result& r, client::error_kind k) {
  return r.stats.count.errors[static_cast<std::size_t>(k)];
}

void expect_accounted(const run_result& r) {
  const auto& c = r.stats.count;
  EXPECT_EQ(c.started, c.succeeded + c.failed + c.timed_out + c.in_flight());
  EXPECT_EQ(c.in_flight(), 0u);
  std::uint64_t by_kind = c.bad_status;
  for (auto n : c.errors) by_kind += n;
  EXPECT_EQ(c.failed + c.timed_out, by_kind);
}

/// A one-connection-at-a-time server on 127.0.0.1 that reads the client's first flight,
/// answers `reply` (raw HTTP/2 frames, after its own empty SETTINGS), waits `hold`, and closes.
class scripted_h2_server {
 public:
  scripted_h2_server(std::string reply, std::chrono::milliseconds hold) : reply_(std::move(reply)), hold_(hold) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~scripted_h2_server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void serve() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      (void)::read(c, buf, sizeof buf);
      const std::string out = std::string("\0\0\0\x04\0\0\0\0\0", 9) + reply_;
      (void)::write(c, out.data(), out.size());
      std::this_thread::sleep_for(hold_);
      while (::recv(c, buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }  // what the client sent meanwhile, read: the close is a FIN, not a reset
      ::close(c);
    }
  }
  std::string reply_;
  std::chrono::milliseconds hold_;
  int fd_ = -1, port_ = 0;
  std::thread thread_;
};

#define NGINX_OR_SKIP(n) \
  if (!(n).available()) GTEST_SKIP() << "nginx is not installed"

}  // namespace

TEST(h2_generator, h2c_keeps_ten_streams_in_flight_on_each_of_two_connections_and_all_succeed) {
  test::test_pki pki;
  auto leaf = pki.leaf("server", {"127.0.0.1"});
  test::nginx_tls_process nginx(leaf.cert, leaf.key, "TLSv1.2 TLSv1.3", false, "", 1024, true);
  NGINX_OR_SKIP(nginx);
  auto r = run_load(h2c_config(nginx.port(), 2, 10, 2000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.started, 2000u);
  EXPECT_EQ(r->stats.count.succeeded, 2000u);
  EXPECT_EQ(r->stats.count.status[200], 2000u);
  EXPECT_EQ(r->stats.count.connects, 2u);
  EXPECT_EQ(r->stats.h2.connections, 2u);
  EXPECT_EQ(r->stats.h2.peak_streams, 10u);
  EXPECT_EQ(r->stats.count.bytes_in, 2000u * 6);  // "hello\n" per response
  auto j = to_json(*r);
  EXPECT_EQ(j["protocol"], "h2");
  EXPECT_EQ(j["h2"]["streams_per_connection"], 10);
  EXPECT_EQ(j["h2"]["peak_streams"], 10);
  EXPECT_NE(render_text(*r).find("protocol h2: 2 connections, 10 streams each"), std::string::npos);
  expect_accounted(*r);
}

TEST(h2_generator, a_server_limit_of_four_streams_below_the_ten_asked_is_obeyed_and_shown) {
  test::nginx_h2c_process nginx;  // http2_max_concurrent_streams 4
  NGINX_OR_SKIP(nginx);
  auto r = run_load(h2c_config(nginx.port(), 2, 10, 1000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 1000u);  // none refused: never more than 4 were sent
  EXPECT_EQ(r->stats.h2.peer_max_streams, 4u);
  EXPECT_EQ(r->stats.h2.peak_streams, 4u);
  EXPECT_EQ(to_json(*r)["h2"]["server_max_concurrent_streams"], 4);
  EXPECT_NE(render_text(*r).find("10 streams each (the server allows 4 at a time)"), std::string::npos);
  expect_accounted(*r);
}

TEST(h2_generator, streams_above_a_goaways_last_stream_id_fail_as_h2_goaway_and_the_rest_succeed) {
  test::nginx_h2c_process nginx;  // short_lived_port: GOAWAY after 5 requests per connection
  NGINX_OR_SKIP(nginx);
  auto r = run_load(h2c_config(nginx.short_lived_port(), 1, 10, 100));
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& c = r->stats.count;
  EXPECT_EQ(c.started, 100u);
  // Each connection had 5 requests processed, then a GOAWAY: every other stream it carried
  // was not processed and is one h2_goaway failure; nothing else fails.
  EXPECT_EQ(c.succeeded + errors_of(*r, client::error_kind::h2_goaway), 100u);
  EXPECT_GT(errors_of(*r, client::error_kind::h2_goaway), 0u);
  EXPECT_GE(r->stats.h2.goaways, c.connects - 1);
  EXPECT_LE(c.succeeded, 5 * c.connects);
  EXPECT_GE(c.succeeded, 5 * r->stats.h2.goaways);
  EXPECT_EQ(to_json(*r)["errors"]["h2_goaway"], errors_of(*r, client::error_kind::h2_goaway));
  expect_accounted(*r);
}

TEST(h2_generator, https_with_http2_speaks_h2_when_nginx_picks_it_by_alpn) {
  test::test_pki pki;
  auto leaf = pki.leaf("server", {"localhost", "127.0.0.1"});
  test::nginx_tls_process nginx(leaf.cert, leaf.key, "TLSv1.2 TLSv1.3", true, "", 1024, true);
  NGINX_OR_SKIP(nginx);
  run_config c = h2c_config(nginx.port(), 2, 10, 1000);
  c.url = nginx.url();
  c.http = http_choice::h2_alpn;
  c.tls.alpn = {"h2", "http/1.1"};
  c.tls.ca_file = pki.ca_file();
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 1000u);
  EXPECT_EQ(r->stats.h2.connections, 2u);
  EXPECT_EQ(r->stats.tls.handshakes, 2u);
  EXPECT_EQ(r->stats.h2.peak_streams, 10u);
  EXPECT_EQ(to_json(*r)["protocol"], "h2");
  expect_accounted(*r);
}

TEST(h2_generator, https_with_http2_falls_back_to_http1_1_when_the_server_offers_only_that) {
  test::test_pki pki;
  auto leaf = pki.leaf("server", {"localhost", "127.0.0.1"});
  test::nginx_tls_process nginx(leaf.cert, leaf.key);  // no http2
  NGINX_OR_SKIP(nginx);
  run_config c = h2c_config(nginx.port(), 2, 10, 500);
  c.url = nginx.url();
  c.http = http_choice::h2_alpn;
  c.tls.alpn = {"h2", "http/1.1"};
  c.tls.ca_file = pki.ca_file();
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 500u);
  EXPECT_EQ(r->stats.count.connects, 2u);
  EXPECT_EQ(r->stats.h2.connections, 0u);
  EXPECT_EQ(to_json(*r)["protocol"], "http/1.1");
  EXPECT_NE(render_text(*r).find("protocol http/1.1"), std::string::npos);
  expect_accounted(*r);
}

TEST(h2_generator, a_refused_stream_is_one_h2_refused_stream_failure) {
  // RST_STREAM on stream 1 with REFUSED_STREAM (7).
  scripted_h2_server server(std::string("\0\0\x04\x03\0\0\0\0\x01\0\0\0\x07", 13), 50ms);
  auto r = run_load(h2c_config(server.port(), 1, 1, 1));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.started, 1u);
  EXPECT_EQ(errors_of(*r, client::error_kind::h2_refused_stream), 1u);
  EXPECT_EQ(to_json(*r)["errors"]["h2_refused_stream"], 1);
  expect_accounted(*r);
}

TEST(h2_generator, a_stream_reset_with_another_code_is_one_h2_stream_reset_failure) {
  // RST_STREAM on stream 1 with INTERNAL_ERROR (2).
  scripted_h2_server server(std::string("\0\0\x04\x03\0\0\0\0\x01\0\0\0\x02", 13), 50ms);
  auto r = run_load(h2c_config(server.port(), 1, 1, 1));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(errors_of(*r, client::error_kind::h2_stream_reset), 1u);
  expect_accounted(*r);
}

TEST(h2_generator, a_connection_closed_with_five_streams_open_is_five_failures) {
  // SETTINGS only, then the close: the five streams sent after it were never answered.
  scripted_h2_server server("", 300ms);
  auto r = run_load(h2c_config(server.port(), 1, 5, 5));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.started, 5u);
  EXPECT_EQ(r->stats.count.failed, 5u);
  EXPECT_EQ(errors_of(*r, client::error_kind::closed_before_response), 5u);
  EXPECT_EQ(r->stats.h2.peak_streams, 5u);
  expect_accounted(*r);
}

TEST(h2_generator, streams_never_answered_time_out_each_once_and_are_cancelled) {
  scripted_h2_server server("", 1500ms);  // SETTINGS, then silence
  run_config c = h2c_config(server.port(), 1, 3, 3);
  c.timeout = 200ms;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.started, 3u);
  EXPECT_EQ(r->stats.count.timed_out, 3u);
  EXPECT_EQ(errors_of(*r, client::error_kind::timeout), 3u);
  expect_accounted(*r);
}

TEST(h2_generator, a_timed_run_stops_starting_streams_at_its_end_and_accounts_every_one) {
  test::nginx_h2c_process nginx;
  NGINX_OR_SKIP(nginx);
  run_config c = h2c_config(nginx.port(), 2, 4, 0);
  c.requests.reset();
  c.run_time = 300ms;
  c.has_duration = true;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_GT(r->stats.count.succeeded, 100u);
  EXPECT_EQ(r->stats.count.failed + r->stats.count.timed_out, 0u);
  expect_accounted(*r);
}
