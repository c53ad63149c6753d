#pragma once
// A DNS server for the faults dnsmasq will not produce on demand: it answers every query on
// its UDP port with SERVFAIL, never answers, or answers truncated (TC set, no records) while
// nothing listens on its TCP port. Real answers come from dnsmasq (dnsmasq_fixture.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

namespace barrage::test {

class fake_dns {
 public:
  enum class mode { servfail, silent, truncated };
  explicit fake_dns(mode m) : mode_(m) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~fake_dns() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  fake_dns(const fake_dns&) = delete;
  fake_dns& operator=(const fake_dns&) = delete;

  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  int queries() const { return queries_.load(); }

 private:
  void serve() {
    unsigned char buf[1500];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 12) continue;
      ++queries_;
      if (mode_ == mode::silent) continue;
      buf[2] = static_cast<unsigned char>(0x80 | (buf[2] & 0x79));  // QR, the query's opcode and RD
      if (mode_ == mode::truncated) buf[2] |= 0x02;                  // TC
      buf[3] = mode_ == mode::servfail ? 0x82 : 0x80;                // RA, RCODE 2 or 0
      for (int i = 6; i < 12; ++i) buf[i] = 0;                        // no answer, authority, additional
      ::sendto(fd_, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), flen);
    }
  }

  mode mode_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

}  // namespace barrage::test
