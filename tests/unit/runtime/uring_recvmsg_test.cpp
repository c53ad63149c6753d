// The io_uring backend's stamped reads: a socket whose first read asks for stamps is received
// by a multishot recvmsg into the pool, each buffer with the kernel's receive stamp.
// Skipped where the kernel refuses io_uring.
#include <arpa/inet.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "co_assert.hpp"
#include "runtime/io.hpp"
#include "runtime/sleep.hpp"
#include "runtime/uring_backend.hpp"
#include "loopback_pair.hpp"

using namespace barrage;
using namespace std::chrono_literals;

namespace {

/// A connected loopback TCP pair: {client, server}; the client's receives are stamped.
std::pair<int, int> stamped_tcp_pair() {
  auto pair = test::tcp_pair();
  if (!test::stamp_receives(pair.first)) throw std::runtime_error("stamps");
  return pair;
}

class uring_recvmsg : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      backend_ = std::make_unique<uring_backend>();
    } catch (const std::system_error&) {
      GTEST_SKIP() << "io_uring is not available here";
    }
  }
  template <class T>
  T run(task<T> t) {
    event_loop loop({}, std::move(backend_));
    return loop.run(std::move(t));
  }
  std::unique_ptr<io_backend> backend_;
};

uring_backend& this_uring() { return static_cast<uring_backend&>(event_loop::current().backend()); }

/// A stamped read that has to wait: it arms the socket's receive.
task<long> first_read(async_fd& fd, char* buf, std::int64_t& stamp) {
  co_return co_await fd.read_stamped(buf, 16, &stamp);
}

}  // namespace

TEST_F(uring_recvmsg, a_read_after_the_loop_was_blocked_is_stamped_at_the_arrival_from_the_pool) {
  auto [c, s] = stamped_tcp_pair();
  std::thread writer([s = s] {
    std::this_thread::sleep_for(10ms);
    (void)::write(s, "one", 3);
    std::this_thread::sleep_for(30ms);
    (void)::write(s, "two", 3);
  });
  auto main = [](int fd, int peer) -> task<void> {
    async_fd f(fd);
    char buf[16];
    std::int64_t stamp = -1;
    const long n = co_await first_read(f, buf, stamp);
    CO_ASSERT_TRUE(n == 3);
    EXPECT_GT(stamp, 0);
    EXPECT_EQ(this_uring().read_requests(f.handle()), 1) << "not one receive: readiness instead?";
    const std::uint32_t free_before = this_uring().buffers_free();
    std::this_thread::sleep_for(50ms);  // the loop is blocked; "two" comes meanwhile
    const std::int64_t blocked_until = test::realtime_ns();
    for (int k = 0; k < 20 && this_uring().buffers_free() == free_before; ++k)
      co_await sleep_for(1ms);  // turns: the receive lands it in the pool
    EXPECT_EQ(this_uring().buffers_free(), free_before - 1) << "the data did not land in the pool";
    stamp = -1;
    const long m = co_await f.read_stamped(buf, sizeof buf, &stamp);
    CO_ASSERT_TRUE(m == 3);
    EXPECT_EQ(std::string(buf, 3), "two");
    CO_ASSERT_TRUE(stamp > 0);
    EXPECT_GE(blocked_until - stamp, 5'000'000) << "stamped when read, not when it came";
    EXPECT_EQ(this_uring().buffers_free(), free_before);
    (void)peer;
  };
  run(main(c, s));
  writer.join();
  ::close(s);
}

constexpr std::size_t total = 256 * 1024;  // beyond one fd's share of the pool: pauses too

TEST_F(uring_recvmsg, data_larger_than_many_buffers_arrives_whole_in_order_and_stamped) {
  auto [c, s] = stamped_tcp_pair();
  std::thread writer([s = s] {
    std::this_thread::sleep_for(10ms);
    std::vector<unsigned char> data(total);
    for (std::size_t k = 0; k < total; ++k) data[k] = static_cast<unsigned char>(k % 251);
    std::size_t sent = 0;
    while (sent < total) {
      const ssize_t n = ::write(s, data.data() + sent, total - sent);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  });
  auto main = [](int fd) -> task<void> {
    async_fd f(fd);
    std::vector<unsigned char> buf(10000);  // spans buffers (4 KiB less the header and control)
    std::size_t got = 0;
    bool in_order = true, all_stamped = true;
    while (got < total) {
      std::int64_t stamp = -1;
      const long n = co_await f.read_stamped(buf.data(), buf.size(), &stamp);
      CO_ASSERT_TRUE(n > 0);
      for (long k = 0; k < n; ++k) in_order &= buf[std::size_t(k)] == (got + std::size_t(k)) % 251;
      got += static_cast<std::size_t>(n);
      all_stamped &= stamp > 0;
    }
    EXPECT_TRUE(in_order);
    EXPECT_TRUE(all_stamped);
    EXPECT_EQ(got, total);
  };
  run(main(c));
  writer.join();
  ::close(s);
}

TEST_F(uring_recvmsg, the_end_of_the_stream_reads_as_zero_after_the_data_and_for_ever) {
  auto [c, s] = stamped_tcp_pair();
  std::thread writer([s = s] {
    std::this_thread::sleep_for(10ms);
    (void)::write(s, "bye", 3);
    ::close(s);
  });
  auto main = [](int fd) -> task<void> {
    async_fd f(fd);
    char buf[16];
    std::int64_t stamp = -1;
    std::string got;
    long n;
    while ((n = co_await f.read_stamped(buf, sizeof buf, &stamp)) > 0) got.append(buf, std::size_t(n));
    EXPECT_EQ(n, 0);
    EXPECT_EQ(got, "bye");
    EXPECT_EQ(stamp, 0) << "the end of the stream carries no stamp";
    EXPECT_EQ(co_await f.read_stamped(buf, sizeof buf, &stamp), 0);
    EXPECT_EQ(this_uring().read_requests(f.handle()), 0);
  };
  run(main(c));
  writer.join();
}

TEST_F(uring_recvmsg, a_peer_reset_reads_as_ECONNRESET_then_as_the_end) {
  auto [c, s] = stamped_tcp_pair();
  std::thread writer([s = s] {
    std::this_thread::sleep_for(10ms);
    (void)::write(s, "x", 1);
    std::this_thread::sleep_for(20ms);
    linger lg{1, 0};  // close with a reset
    ::setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::close(s);
  });
  auto main = [](int fd) -> task<void> {
    async_fd f(fd);
    char buf[16];
    std::int64_t stamp = -1;
    CO_ASSERT_TRUE(co_await first_read(f, buf, stamp) == 1);
    EXPECT_EQ(this_uring().read_requests(f.handle()), 1);
    const long n = co_await f.read_stamped(buf, sizeof buf, &stamp);
    EXPECT_EQ(n, -ECONNRESET);
    EXPECT_EQ(stamp, 0);
    EXPECT_EQ(co_await f.read_stamped(buf, sizeof buf, &stamp), 0);
  };
  run(main(c));
  writer.join();
}
