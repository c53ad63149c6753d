// The io_uring backend's write side: small writes are copied into backend buffers and sent
// with the turn's io_uring_enter (uring_send.cpp). Skipped where the kernel refuses io_uring.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "co_assert.hpp"
#include "runtime/io.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/uring_backend.hpp"

using namespace barrage;
using namespace std::chrono_literals;

namespace {

/// A loop on the io_uring backend; the test is skipped where there is none.
class uring_send : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      backend_ = std::make_unique<uring_backend>();
    } catch (const std::system_error&) {
      GTEST_SKIP() << "io_uring is not available here";
    }
  }
  void run(task<void> t) {
    event_loop loop({}, std::move(backend_));
    loop.run(std::move(t));
  }
  std::unique_ptr<io_backend> backend_;
};

uring_backend& send_backend() { return static_cast<uring_backend&>(event_loop::current().backend()); }

/// Waits (a loop turn at a time, at most 2 s) until the backend has handled `n` more send
/// completions than `before`. A turn whose timer is already due may skip the kernel (a loaded
/// machine), so a fixed sleep does not prove the send went.
task<void> sends_completed(std::uint64_t before, std::uint64_t n = 1) {
  for (int k = 0; k < 2000 && send_backend().sends_completed() < before + n; ++k) co_await sleep_for(1ms);
  EXPECT_GE(send_backend().sends_completed(), before + n);
}

/// A socketpair whose first end is on the loop; the second is a plain blocking fd.
struct half_pair {
  async_fd a;
  int peer = -1;
  half_pair() = default;
  half_pair(half_pair&& o) noexcept : a(std::move(o.a)), peer(std::exchange(o.peer, -1)) {}
  half_pair& operator=(half_pair&&) = delete;
  ~half_pair() {
    if (peer >= 0) ::close(peer);
  }
};

half_pair make_half_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair");
  half_pair p;
  p.a = async_fd(sv[0]);
  p.peer = sv[1];
  return p;
}

/// Everything the peer fd receives until the end of the stream (at most 2 s of waiting).
std::string drain_peer(int fd) {
  std::string got;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

std::string pattern(std::size_t n, std::size_t from = 0) {
  std::string s(n, '\0');
  for (std::size_t k = 0; k < n; ++k) s[k] = static_cast<char>('a' + (from + k) % 23);
  return s;
}

/// A task whose frame holds the bytes it writes; it scribbles over them before it ends.
task<long> write_from_frame(async_fd& fd, std::size_t n) {
  std::string bytes(n, 'A');
  const long r = co_await fd.write(bytes.data(), bytes.size());
  bytes.assign(n, 'B');  // the kernel must not see these: they were never written
  co_return r;
}

}  // namespace

TEST_F(uring_send, many_writes_on_one_fd_in_one_turn_arrive_in_order_in_a_single_send) {
  auto main = []() -> task<void> {
    half_pair p = make_half_pair();
    const std::uint64_t before = send_backend().sends_submitted();
    const std::uint64_t completed = send_backend().sends_completed();
    std::string expected;
    for (int k = 0; k < 200; ++k) {
      char item[8];
      const int n = std::snprintf(item, sizeof item, "%03d;", k);
      EXPECT_EQ(co_await p.a.write(item, static_cast<std::size_t>(n)), n);  // at once: no wait
      expected.append(item, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(p.a.try_write("end", 3), 3);  // behind them, not around them
    expected += "end";
    co_await sends_completed(completed);  // the turn's wait took them in one send
    EXPECT_EQ(send_backend().sends_submitted() - before, 1u);
    p.a.close();
    EXPECT_EQ(drain_peer(p.peer), expected);
  };
  run(main());
}

TEST_F(uring_send, a_write_larger_than_a_send_buffer_goes_behind_the_buffered_bytes_and_arrives_whole) {
  auto main = []() -> task<void> {
    half_pair p = make_half_pair();
    const std::size_t big = 3 * uring_backend::send_buffer_size;
    const std::string head = pattern(100), body = pattern(big, 100), tail = pattern(50, 100 + big);
    EXPECT_EQ(co_await p.a.write(head.data(), head.size()), 100);
    std::size_t done = 0;
    while (done < body.size()) {
      const long n = co_await p.a.write(body.data() + done, body.size() - done);
      CO_ASSERT_TRUE(n > 0);
      done += static_cast<std::size_t>(n);
    }
    EXPECT_EQ(co_await p.a.write(tail.data(), tail.size()), 50);
    p.a.close();
    EXPECT_EQ(drain_peer(p.peer), head + body + tail);
  };
  run(main());
}

TEST_F(uring_send, a_write_to_a_closed_peer_fails_the_next_operation_on_the_fd_with_the_error) {
  auto main = []() -> task<void> {
    half_pair p = make_half_pair();
    ::close(std::exchange(p.peer, -1));
    const std::uint64_t before = send_backend().sends_completed();
    EXPECT_EQ(co_await p.a.write("x", 1), 1);  // taken: the send goes with the next wait
    co_await sends_completed(before);
    char buf[8];
    EXPECT_EQ(co_await p.a.read(buf, sizeof buf), -EPIPE);  // the lost byte is reported
    EXPECT_EQ(co_await p.a.write("y", 1), 1);  // taken again, and lost again:
    co_await sends_completed(before, 2);
    EXPECT_EQ(co_await p.a.write("z", 1), -EPIPE);  // the next write says so
  };
  run(main());
}

TEST_F(uring_send, a_frame_destroyed_right_after_its_write_leaves_the_written_bytes_to_be_sent) {
  auto main = []() -> task<void> {
    half_pair p = make_half_pair();
    // The writer's frame (and its string) is gone before the loop turns once.
    EXPECT_EQ(co_await write_from_frame(p.a, 4096), 4096);
    // A task cancelled while its write's bytes still wait for the turn's submission.
    auto writer = [](async_fd& fd) -> task<void> {
      (void)co_await write_from_frame(fd, 1000);
      co_await sleep_for(1h);
    };
    auto h = spawn(writer(p.a));
    co_await sleep_for(0ms);
    h.cancel();
    EXPECT_THROW(co_await h, operation_cancelled);
    p.a.close();
    EXPECT_EQ(drain_peer(p.peer), std::string(5096, 'A'));
  };
  run(main());
}

TEST_F(uring_send, a_send_the_socket_cannot_take_at_once_delivers_every_byte_in_order) {
  auto main = []() -> task<void> {
    half_pair p = make_half_pair();
    const int small = 4096;
    CO_ASSERT_TRUE(::setsockopt(p.a.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    CO_ASSERT_TRUE(::setsockopt(p.peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    std::string got;
    std::atomic<bool> finished{false};
    std::thread reader([&] {
      std::this_thread::sleep_for(20ms);  // the first send finds the socket full
      got = drain_peer(p.peer);
      finished = true;
    });
    std::string expected;
    for (int k = 0; k < 4; ++k) {  // a full send buffer, then writes waiting for it
      const std::string part = pattern(uring_backend::send_buffer_size, expected.size());
      const long n = co_await p.a.write(part.data(), part.size());
      EXPECT_EQ(n, static_cast<long>(part.size()));
      expected += part;
    }
    p.a.shutdown(SHUT_WR);  // the FIN goes behind the bytes still in the send buffer
    // The loop turns meanwhile: the kernel goes on with a waiting send in its io_uring_enter.
    const auto t0 = std::chrono::steady_clock::now();
    while (!finished.load() && std::chrono::steady_clock::now() - t0 < 5s) co_await sleep_for(1ms);
    reader.join();
    EXPECT_EQ(got, expected);
  };
  run(main());
}

TEST_F(uring_send, closing_an_fd_right_after_a_write_sends_the_bytes_then_the_end_of_stream) {
  auto main = []() -> task<void> {
    half_pair p = make_half_pair();
    EXPECT_EQ(co_await p.a.write("bye", 3), 3);
    p.a.close();  // no loop turn in between
    EXPECT_EQ(drain_peer(p.peer), "bye");
  };
  run(main());
}
