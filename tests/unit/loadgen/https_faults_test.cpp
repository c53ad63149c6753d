// The generator over HTTPS against peers that break the handshake in ways a real server does
// not: one that accepts and never answers the ClientHello (the handshake counts against
// --connect-timeout), and one that reads the ClientHello and closes. Both are accounted failures
// of their own kind, never a hang.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "loadgen/engine.hpp"
#include "loadgen/report_json.hpp"
#include "run_checks.hpp"

using namespace barrage;
using namespace barrage::loadgen;
using namespace std::chrono_literals;
using test::errors_of;
using test::expect_accounted;

namespace {

/// A loopback listener on its own thread. `answer`: after reading what the client sent first,
/// close (true) or keep the connection open and silent (false).
class bad_tls_peer {
 public:
  explicit bad_tls_peer(bool close_after_hello) : close_(close_after_hello) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~bad_tls_peer() {
    stop_ = true;
    thread_.join();
    for (int c : open_) ::close(c);
    ::close(fd_);
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/"; }
  int accepted() const { return accepted_.load(); }
  int hellos() const { return hellos_.load(); }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++accepted_;
      char buf[4096];
      pollfd q{c, POLLIN, 0};
      if (::poll(&q, 1, 2000) > 0 && ::recv(c, buf, sizeof buf, 0) > 0 && buf[0] == 0x16) ++hellos_;  // a handshake record
      if (close_) ::close(c);
      else open_.push_back(c);
    }
  }
  bool close_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0}, hellos_{0};
  std::vector<int> open_;
  std::thread thread_;
};

run_config config_for(const std::string& url) {
  run_config c;
  c.url = url;
  c.connections = 2;
  c.threads = 1;
  c.requests = 6;
  c.timeout = 5s;
  c.connect_timeout = 200ms;
  c.tls.verify = false;
  return c;
}



}  // namespace

TEST(https_faults, a_peer_that_never_answers_the_client_hello_is_a_connect_timeout_within_the_connect_timeout) {
  bad_tls_peer peer(false);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_load(config_for(peer.url()));
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 0u);
  EXPECT_EQ(errors_of(*r, client::error_kind::connect_timeout), 6u);
  EXPECT_EQ(r->stats.count.timed_out + r->stats.count.failed, 6u);
  EXPECT_GE(peer.hellos(), 1);  // the TCP connection was made: it is the handshake that stalled
  // 6 attempts on 2 connections, 200 ms each: about 600 ms, far from the 5 s request timeout.
  EXPECT_LT(took, 3s);
  expect_accounted(*r);
}

TEST(https_faults, a_peer_that_closes_after_the_client_hello_is_a_handshake_failure) {
  bad_tls_peer peer(true);
  auto r = run_load(config_for(peer.url()));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 0u);
  EXPECT_EQ(errors_of(*r, client::error_kind::tls_handshake), 6u);
  EXPECT_GE(peer.hellos(), 6);
  expect_accounted(*r);
}
