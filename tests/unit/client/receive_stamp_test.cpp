// Responses timed by the kernel's receive stamps (connection::enable_receive_stamps): a
// response that comes while the loop is busy is timed at its arrival, not at the late read.
// The peer is a thread of blocking sockets on 127.0.0.1 that answers each request at once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "client/connection.hpp"
#include "net/tcp.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"

using namespace barrage;
using namespace barrage::client;
using namespace std::chrono_literals;

namespace {

const std::string get_root = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// Answers `requests` requests on one connection, each as soon as its head is read.
class answering_peer {
 public:
  explicit answering_peer(int requests, std::string response = ok) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 1) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("listen");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, requests, response = std::move(response)] {
      const int s = ::accept(listener_, nullptr, nullptr);
      std::string in;
      char buf[4096];
      for (int answered = 0; answered < requests;) {
        const ssize_t n = ::read(s, buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        for (std::size_t end; (end = in.find("\r\n\r\n")) != std::string::npos; ++answered) {
          in.erase(0, end + 4);
          (void)::write(s, response.data(), response.size());
        }
      }
      char drain[64];
      while (::read(s, drain, sizeof drain) > 0) {
      }
      ::close(s);
    });
  }
  ~answering_peer() {
    thread_.join();
    ::close(listener_);
  }
  net::socket_address address() const { return *net::socket_address::parse("127.0.0.1:" + std::to_string(port_)); }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

/// One GET whose loop is blocked for `busy` right after the send (CPU work elsewhere on the
/// loop): the response comes meanwhile and is read only after it.
task<outcome> get_with_busy_loop(net::socket_address to, bool stamps, duration busy, bool& stamped) {
  auto s = co_await net::tcp_connect(to);
  if (!s) throw std::runtime_error("connect failed");
  connection c{net::transport(std::move(*s))};
  stamped = stamps && c.enable_receive_stamps();
  // The kernel turns its receive timestamping on a moment after the first socket asks
  // (deferred work); a response before then has no stamp and is timed by the clock.
  co_await sleep_for(5ms);
  const time_point start = mono_clock::now();
  const error_kind sent = co_await c.send(get_root, start + 5s);
  EXPECT_EQ(sent, error_kind::none);
  co_await sleep_for(5ms);  // a turn: io_uring sends a buffered request with the turn's wait
  std::this_thread::sleep_for(busy);  // the loop's thread is held: nothing reads
  outcome o = co_await c.receive(start, {start + 5s, time_point::max()});
  c.close();
  co_return o;
}

}  // namespace

TEST(receive_stamps, a_response_that_comes_while_the_loop_is_busy_is_timed_at_its_arrival) {
  answering_peer peer(1);
  event_loop loop;
  bool stamped = false;
  const outcome o = loop.run(get_with_busy_loop(peer.address(), true, 50ms, stamped));
  ASSERT_TRUE(stamped) << "the socket refused receive stamps";
  ASSERT_EQ(o.error, error_kind::none);
  EXPECT_EQ(o.status, 200);
  EXPECT_LT(o.times.first_byte, 25'000'000) << "timed at the late read, not at the arrival";
  EXPECT_GT(o.times.first_byte, 0);
  EXPECT_EQ(o.times.complete, o.times.first_byte);
}

TEST(receive_stamps, without_them_the_same_response_is_timed_at_the_late_read) {
  answering_peer peer(1);
  event_loop loop;
  bool stamped = true;
  const outcome o = loop.run(get_with_busy_loop(peer.address(), false, 50ms, stamped));
  EXPECT_FALSE(stamped);
  ASSERT_EQ(o.error, error_kind::none);
  EXPECT_GE(o.times.first_byte, 55'000'000);
}
