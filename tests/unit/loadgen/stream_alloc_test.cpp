// --stream pays no heap allocation per response, chunk or event once warm: a worker with
// --stream runs on this thread against a server thread that answers every request on a
// keep-alive connection with a chunked text/event-stream of 5 events (one chunk each), twice,
// with a short and a long quota; the difference is what the extra responses allocated.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "counting_allocator.hpp"
#include "loadgen/worker.hpp"

using namespace barrage;
using namespace barrage::loadgen;

namespace {

/// A blocking keep-alive server on 127.0.0.1: one thread per connection, each request answered
/// with the same chunked event stream.
class sse_peer {
 public:
  sse_peer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("sse_peer: cannot listen");
    port_ = ntohs(a.sin_port);
    response_ = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) {
      const std::string event = "id: " + std::to_string(i) + "\ndata: tick " + std::to_string(i) + "\n\n";
      char size[16];
      std::snprintf(size, sizeof size, "%zx\r\n", event.size());
      response_ += size + event + "\r\n";
    }
    response_ += "0\r\n\r\n";
    accept_ = std::thread([this] { accept_loop(); });
  }
  ~sse_peer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    accept_.join();
    for (auto& t : conns_) t.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  void accept_loop() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      conns_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    std::string in;
    char buf[4096];
    while (!stop_) {
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
      for (std::size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
        in.erase(0, end + 4);
        if (::write(c, response_.data(), response_.size()) != static_cast<ssize_t>(response_.size())) break;
      }
    }
    ::close(c);
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string response_;
  std::atomic<bool> stop_{false};
  std::thread accept_;
  std::vector<std::thread> conns_;
};

struct measured {
  std::uint64_t allocations = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t streams = 0;
  std::uint64_t events = 0;
};

measured run_worker(const sse_peer& peer, std::uint64_t quota) {
  run_plan plan;
  plan.config.connections = 4;
  plan.config.threads = 1;
  plan.config.stream = true;
  plan.config.timeout = std::chrono::seconds(5);
  plan.origins.push_back({.target = *net::socket_address::parse("127.0.0.1:" + std::to_string(peer.port()))});
  plan.request = "GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  plan.start = mono_clock::now();
  plan.counted_from = plan.start;
  plan.end = time_point::max();
  worker w(plan, 4, quota, ramp_profile(4, {}, 0));
  test::allocation_counter count;
  w.run();
  const auto& s = w.stats().streams;
  return {count.count(), w.stats().count.succeeded, s.responses,
          s.histograms ? static_cast<std::uint64_t>(s.histograms->events.mean() * static_cast<double>(s.responses) + 0.5) : 0};
}

}  // namespace

TEST(stream_allocations, none_per_streamed_response_chunk_or_event) {
  sse_peer peer;
  (void)run_worker(peer, 200);  // first-use allocations
  const auto shorter = run_worker(peer, 1'000);
  const auto longer = run_worker(peer, 6'000);
  EXPECT_EQ(shorter.succeeded, 1'000u);
  EXPECT_EQ(longer.succeeded, 6'000u);
  EXPECT_EQ(longer.streams, 6'000u);
  EXPECT_EQ(longer.events, 30'000u);
  const double extra = static_cast<double>(longer.allocations) - static_cast<double>(shorter.allocations);
  EXPECT_LE(extra / 5'000.0, 0.0) << shorter.allocations << " then " << longer.allocations;
}
