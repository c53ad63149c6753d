#include "runtime/io.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "counting_allocator.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/when_all.hpp"

using namespace barrage;

namespace {

struct fd_pair {
  async_fd a, b;
};

fd_pair make_socketpair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair");
  return {async_fd(sv[0]), async_fd(sv[1])};
}

fd_pair make_pipe() {  // a: read end, b: write end
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  return {async_fd(p[0]), async_fd(p[1])};
}

std::uint64_t turns() { return event_loop::current().metrics().snapshot().turns; }

task<std::string> read_some(async_fd& fd) {
  char buf[256];
  long n = co_await fd.read(buf, sizeof buf);
  if (n < 0) co_return "error " + std::to_string(-n);
  co_return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

TEST(io, an_fd_is_made_non_blocking_and_closed_with_its_owner) {
  event_loop loop;
  int fd;
  {
    auto [r, w] = make_pipe();
    fd = r.fd();
    EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
  }
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(io, a_pipe_carries_what_is_written) {
  auto main = []() -> task<std::string> {
    auto [r, w] = make_pipe();
    long n = co_await w.write("hello", 5);
    EXPECT_EQ(n, 5);
    co_return co_await read_some(r);
  };
  EXPECT_EQ(sync_wait(main()), "hello");
}

TEST(io, a_socketpair_carries_data_both_ways) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    EXPECT_EQ(co_await a.write("ping", 4), 4);
    EXPECT_EQ(co_await read_some(b), "ping");
    EXPECT_EQ(co_await b.write("pong", 4), 4);
    EXPECT_EQ(co_await read_some(a), "pong");
  };
  sync_wait(main());
}

TEST(io, a_read_with_data_waiting_completes_without_suspending) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    // Straight into the socket: io_uring's write would send it with the next turn's wait.
    EXPECT_EQ(::send(a.fd(), "x", 1, 0), 1);
    auto before = turns();
    EXPECT_EQ(co_await read_some(b), "x");
    EXPECT_EQ(turns(), before) << "no EAGAIN, no wait";
  };
  sync_wait(main());
}

TEST(io, a_read_waits_on_eagain_and_data_written_later_wakes_it) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    auto late_writer = [](async_fd& fd) -> task<void> {
      co_await sleep_for(10ms);
      (void)co_await fd.write("later", 5);
    };
    auto h = spawn(late_writer(a));
    auto before = turns();
    auto t0 = now();
    EXPECT_EQ(co_await read_some(b), "later");
    EXPECT_GE(now() - t0, 9ms);
    EXPECT_GT(turns(), before);
    co_await h;
  };
  sync_wait(main());
}

TEST(io, end_of_stream_reads_zero) {
  auto main = []() -> task<long> {
    auto [a, b] = make_socketpair();
    auto closer = [](async_fd& fd) -> task<void> {
      co_await sleep_for(2ms);
      fd.close();
    };
    auto h = spawn(closer(a));
    char buf[8];
    long n = co_await b.read(buf, sizeof buf);
    co_await h;
    co_return n;
  };
  EXPECT_EQ(sync_wait(main()), 0);
}

TEST(io, errors_come_back_as_negative_errno_from_the_write_or_the_next_operation) {
  auto main = []() -> task<long> {
    auto [a, b] = make_socketpair();
    b.close();
    // epoll fails the write itself; io_uring may take the byte and send it with the turn's
    // wait, and then the next operation on the fd returns the send's error.
    long r = co_await a.write("x", 1);  // no SIGPIPE: MSG_NOSIGNAL
    for (int k = 0; k < 3 && r > 0; ++k) {
      co_await sleep_for(1ms);
      r = co_await a.write("x", 1);
    }
    co_return r;
  };
  EXPECT_EQ(sync_wait(main()), -EPIPE);
}

TEST(io, a_writer_blocked_on_a_full_socket_resumes_when_the_peer_reads) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    int small = 4096;
    ::setsockopt(a.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    std::string chunk(64 * 1024, 'z');
    auto writer = [](async_fd& fd, const std::string& c) -> task<std::size_t> {
      std::size_t total = 0;
      for (int i = 0; i < 8; ++i) {
        std::size_t off = 0;
        while (off < c.size()) {
          long n = co_await fd.write(c.data() + off, c.size() - off);
          if (n <= 0) co_return total;
          off += static_cast<std::size_t>(n);
          total += static_cast<std::size_t>(n);
        }
      }
      co_return total;
    };
    auto w = spawn(writer(a, chunk));
    co_await sleep_for(2ms);
    EXPECT_FALSE(w.done()) << "the socket buffer filled up";
    std::size_t got = 0;
    char buf[16384];
    while (got < 8 * chunk.size()) {
      long n = co_await b.read(buf, sizeof buf);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    EXPECT_EQ(got, 8 * chunk.size());
    EXPECT_EQ(co_await w, 8 * chunk.size());
  };
  sync_wait(main());
}

TEST(io, writev_gathers_buffers) {
  auto main = []() -> task<std::string> {
    auto [a, b] = make_socketpair();
    std::string_view x = "abc", y = "defg";
    iovec iov[2] = {{const_cast<char*>(x.data()), x.size()}, {const_cast<char*>(y.data()), y.size()}};
    EXPECT_EQ(co_await a.writev(iov, 2), 7);
    co_return co_await read_some(b);
  };
  EXPECT_EQ(sync_wait(main()), "abcdefg");
}

TEST(io, a_cancelled_read_leaves_the_fd_usable) {
  auto main = []() -> task<std::string> {
    auto [a, b] = make_socketpair();
    auto reader = spawn(read_some(b));
    co_await sleep_for(2ms);
    reader.cancel();
    EXPECT_THROW(co_await reader, operation_cancelled);
    EXPECT_EQ(co_await a.write("after", 5), 5);
    co_return co_await read_some(b);
  };
  EXPECT_EQ(sync_wait(main()), "after");
}

TEST(io, a_cancel_after_the_read_completed_but_before_the_task_ran_stays_pending) {
  auto main = []() -> task<std::string> {
    auto [a, b] = make_socketpair();
    auto reader = [](async_fd& fd) -> task<std::string> {
      std::string got = co_await read_some(fd);
      try {
        co_await sleep_for(1ms);  // the stop request lands here, once
      } catch (const operation_cancelled&) {
        got += " then cancelled";
      }
      co_return got;
    };
    auto h = spawn(reader(b));
    co_await sleep_for(1ms);
    (void)co_await a.write("data", 4);
    // Busy turns poll for I/O only every 32 task steps: yield until the read has completed.
    for (int i = 0; i < 40; ++i) co_await yield_now{};
    h.cancel();  // its read has completed; the stop request waits for its next suspension
    co_return co_await h;
  };
  EXPECT_EQ(sync_wait(main()), "data then cancelled");
}

TEST(io, a_read_and_a_write_on_one_fd_may_overlap) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    auto reader = spawn(read_some(a));  // pending read on a
    co_await sleep_for(1ms);
    EXPECT_EQ(co_await a.write("out", 3), 3);  // a write on a meanwhile
    EXPECT_EQ(co_await read_some(b), "out");
    EXPECT_EQ(co_await b.write("in", 2), 2);
    EXPECT_EQ(co_await reader, "in");
  };
  sync_wait(main());
}

TEST(io, accept_and_connect_over_loopback_tcp) {
  auto main = []() -> task<std::string> {
    int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(ls, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(ls, 8), 0);
    EXPECT_EQ(::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    async_fd listener(ls);

    auto client = [](sockaddr_in to) -> task<long> {
      async_fd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      int r = ::connect(c.fd(), reinterpret_cast<sockaddr*>(&to), sizeof to);
      if (r < 0 && errno != EINPROGRESS) co_return -errno;
      if (r < 0) {
        long e = co_await c.connected();
        if (e < 0) co_return e;
      }
      co_return co_await c.write("tcp!", 4);
    };
    auto h = spawn(client(addr));
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    long fd = co_await listener.accept(reinterpret_cast<sockaddr*>(&peer), &peer_len);
    EXPECT_GE(fd, 0);
    async_fd conn(static_cast<int>(fd));
    EXPECT_EQ(co_await h, 4);
    co_return co_await read_some(conn);
  };
  EXPECT_EQ(sync_wait(main()), "tcp!");
}

TEST(io, ten_thousand_round_trips_allocate_nothing_after_warm_up) {
  auto main = []() -> task<std::uint64_t> {
    auto [a, b] = make_socketpair();
    // The echo side: reads 8 bytes, writes them back.
    auto echo = [](async_fd& fd, int n) -> task<void> {
      char buf[8];
      for (int i = 0; i < n; ++i) {
        long r = co_await fd.read(buf, sizeof buf);
        if (r <= 0) co_return;
        (void)co_await fd.write(buf, static_cast<std::size_t>(r));
      }
    };
    auto ping = [](async_fd& fd, int n) -> task<void> {
      char buf[8] = "abcdefg";
      for (int i = 0; i < n; ++i) {
        (void)co_await fd.write(buf, sizeof buf);
        long r = co_await fd.read(buf, sizeof buf);
        if (r != 8) co_return;
      }
    };
    constexpr int warm = 200, measured = 10'000;
    auto e = spawn(echo(b, warm + measured));
    co_await ping(a, warm);
    test::allocation_counter counter;
    co_await ping(a, measured);
    std::uint64_t allocations = counter.count();
    co_await e;
    co_return allocations;
  };
  EXPECT_EQ(sync_wait(main()), 0u);
}
