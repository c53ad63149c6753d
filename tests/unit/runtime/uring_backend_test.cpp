// The io_uring backend on its own (the other runtime tests run on both backends through
// BARRAGE_IO_BACKEND; see tests/CMakeLists.txt). Skipped where the kernel refuses io_uring.
#include "runtime/uring_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "co_assert.hpp"
#include "runtime/backend_choice.hpp"
#include "runtime/io.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"

using namespace barrage;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<io_backend> try_uring() {
  try {
    return std::make_unique<uring_backend>();
  } catch (const std::system_error&) {
    return nullptr;
  }
}

/// A loop on the io_uring backend; the test is skipped where there is none.
class uring : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = try_uring();
    if (!backend_) GTEST_SKIP() << "io_uring is not available here";
  }
  template <class T>
  T run(task<T> t, event_loop::options opts = {}) {
    event_loop loop(opts, std::move(backend_));
    EXPECT_STREQ(loop.backend().name(), "io_uring");
    return loop.run(std::move(t));
  }
  std::unique_ptr<io_backend> backend_;
};

struct fd_pair {
  async_fd a, b;
};

fd_pair make_socketpair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair");
  return {async_fd(sv[0]), async_fd(sv[1])};
}

task<std::string> read_some(async_fd& fd, std::size_t cap = 256) {
  std::string buf(cap, '\0');
  long n = co_await fd.read(buf.data(), cap);
  if (n < 0) co_return "error " + std::to_string(-n);
  buf.resize(static_cast<std::size_t>(n));
  co_return buf;
}

/// Writes `total` bytes of a position pattern (byte k is k % 251) to `fd`.
task<void> write_pattern(async_fd& fd, std::size_t total) {
  std::vector<unsigned char> chunk(65536);
  std::size_t sent = 0;
  while (sent < total) {
    for (std::size_t k = 0; k < chunk.size(); ++k) chunk[k] = static_cast<unsigned char>((sent + k) % 251);
    long n = co_await fd.write(chunk.data(), std::min(chunk.size(), total - sent));
    CO_ASSERT_TRUE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
}

/// Reads `total` bytes of that pattern, `chunk` at a time; true when all came in order.
task<bool> read_pattern(async_fd& fd, std::size_t total, std::size_t chunk) {
  std::vector<unsigned char> buf(chunk);
  std::size_t got = 0;
  bool in_order = true;
  while (got < total) {
    long n = co_await fd.read(buf.data(), buf.size());
    if (n <= 0) co_return false;
    for (long k = 0; k < n; ++k) in_order &= buf[static_cast<std::size_t>(k)] == (got + static_cast<std::size_t>(k)) % 251;
    got += static_cast<std::size_t>(n);
  }
  co_return in_order;
}

uring_backend& current_uring() { return static_cast<uring_backend&>(event_loop::current().backend()); }

}  // namespace

TEST(backend_choice, epoll_is_chosen_by_name_and_io_uring_falls_back_to_it_when_refused) {
  EXPECT_STREQ(make_io_backend(io_backend_kind::epoll)->name(), "epoll");
  const char* expected = try_uring() ? "io_uring" : "epoll";
  EXPECT_STREQ(make_io_backend(io_backend_kind::io_uring)->name(), expected);
}

TEST(backend_choice, without_BARRAGE_IO_BACKEND_a_loop_runs_on_io_uring_where_the_kernel_allows_it) {
  ::unsetenv("BARRAGE_IO_BACKEND");  // each test runs in its own process
  EXPECT_STREQ(make_io_backend()->name(), try_uring() ? "io_uring" : "epoll");
}

TEST(backend_choice, BARRAGE_IO_BACKEND_epoll_picks_epoll_for_every_loop_of_the_process) {
  ::setenv("BARRAGE_IO_BACKEND", "epoll", 1);  // each test runs in its own process
  EXPECT_STREQ(make_io_backend()->name(), "epoll");
  ::unsetenv("BARRAGE_IO_BACKEND");
}

TEST_F(uring, a_cancelled_read_is_never_written_into_and_its_data_waits_for_the_next_read) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    std::vector<char> kept(64, '#');  // outlives the cancelled read: must stay untouched
    auto reader = [](async_fd& fd, char* buf, std::size_t len) -> task<long> { co_return co_await fd.read(buf, len); };
    auto h = spawn(reader(b, kept.data(), kept.size()));
    co_await sleep_for(2ms);  // the read waits, with the receive armed
    h.cancel();
    EXPECT_THROW(co_await h, operation_cancelled);  // its frame is gone after this
    EXPECT_EQ(co_await a.write("late", 4), 4);
    co_await sleep_for(2ms);  // the receive lands "late" in the pool meanwhile
    EXPECT_EQ(std::string(kept.begin(), kept.end()), std::string(64, '#'));
    EXPECT_EQ(co_await read_some(b), "late");
  };
  run(main());
}

TEST_F(uring, reads_cancelled_in_turn_on_fds_closed_at_once_leave_the_backend_sound) {
  auto main = []() -> task<void> {
    for (int round = 0; round < 200; ++round) {
      auto [a, b] = make_socketpair();
      auto h = spawn(read_some(b));
      co_await yield_now{};
      (void)co_await a.write("x", 1);  // may land after the cancel, for a slot being reused
      h.cancel();
      try {
        (void)co_await h;
      } catch (const operation_cancelled&) {
      }
    }
    auto [a, b] = make_socketpair();  // the slots are reused: the newest fds work
    EXPECT_EQ(co_await a.write("ok", 2), 2);
    EXPECT_EQ(co_await read_some(b), "ok");
  };
  run(main());
}

TEST_F(uring, another_thread_wakes_a_loop_blocked_in_the_kernel) {
  event_loop::options opts;
  opts.monitor_lag = false;  // no timer: the loop can only wake from the other thread
  event_loop loop(opts, std::move(backend_));
  // run_once(-1) has no timeout: without the wake-up it would block for ever (and ctest's
  // timeout would end the test). Each wake-up must run the callback, and promptly.
  int callbacks = 0;
  duration slowest{};
  for (int i = 0; i < 50; ++i) {
    std::atomic<bool> ran{false};
    std::thread t([&] {
      std::this_thread::sleep_for(1ms);
      loop.call_soon_threadsafe([&] {
        ran = true;
        ++callbacks;
      });
    });
    auto t0 = mono_clock::now();
    while (!ran) loop.run_once(duration(-1));
    slowest = std::max<duration>(slowest, mono_clock::now() - t0);
    t.join();
  }
  EXPECT_EQ(callbacks, 50);
  EXPECT_LT(slowest, std::chrono::seconds(1));
}

TEST_F(uring, five_hundred_fds_each_get_their_own_data_and_end_of_stream) {
  auto main = []() -> task<void> {
    constexpr int n = 500;
    std::vector<fd_pair> pairs;
    for (int i = 0; i < n; ++i) pairs.push_back(make_socketpair());
    std::vector<join_handle<std::string>> readers;
    for (auto& p : pairs) readers.push_back(spawn(read_some(p.b)));
    co_await sleep_for(1ms);
    for (int i = 0; i < n; ++i) {
      std::string msg = "message " + std::to_string(i);
      (void)co_await pairs[static_cast<std::size_t>(i)].a.write(msg.data(), msg.size());
    }
    for (int i = 0; i < n; ++i) EXPECT_EQ(co_await readers[static_cast<std::size_t>(i)], "message " + std::to_string(i));
    readers.clear();
    for (auto& p : pairs) readers.push_back(spawn(read_some(p.b)));
    for (auto& p : pairs) p.a.close();
    for (auto& r : readers) EXPECT_EQ(co_await r, "");
  };
  run(main());
}

TEST_F(uring, data_then_end_of_stream_reads_as_the_data_then_zero_for_ever) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    auto h = spawn(read_some(b));  // waiting when the data and the end arrive
    co_await sleep_for(1ms);
    (void)co_await a.write("bye", 3);
    a.close();
    EXPECT_EQ(co_await h, "bye");
    EXPECT_EQ(co_await read_some(b), "");
    EXPECT_TRUE(b.handle().hung_up);
    EXPECT_EQ(co_await read_some(b), "");
  };
  run(main());
}

TEST_F(uring, a_read_with_a_deadline_times_out_and_loses_nothing_that_comes_later) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    char buf[16];
    const time_point t0 = mono_clock::now();
    EXPECT_EQ(co_await b.read(buf, sizeof buf).until(t0 + 20ms), -ETIMEDOUT);
    EXPECT_GE(mono_clock::now() - t0, 19ms);
    (void)co_await a.write("after", 5);
    EXPECT_EQ(co_await b.read(buf, sizeof buf).until(mono_clock::now() + 1s), 5);
    EXPECT_EQ(std::string(buf, 5), "after");
  };
  run(main());
}

TEST_F(uring, more_data_than_the_receive_pool_arrives_whole_and_in_order) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    constexpr std::size_t total = 3 * std::size_t{uring_backend::buffer_count} * uring_backend::buffer_size;
    (void)co_await a.write("s", 1);
    EXPECT_EQ(co_await read_some(b), "s");  // a short read: the receive is armed from here
    auto w = spawn(write_pattern(a, total));
    co_await sleep_for(30ms);  // the fd's share of the pool fills, its receive pauses, the socket fills
    const bool in_order = co_await read_pattern(b, total, 10000);
    EXPECT_TRUE(in_order);
    co_await w;
  };
  run(main());
}

TEST_F(uring, closing_an_fd_with_a_receive_armed_ends_the_stream_for_the_peer_at_once) {
  auto main = []() -> task<void> {
    int sv[2];
    CO_ASSERT_TRUE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    async_fd a(sv[0]);
    auto h = spawn(read_some(a));
    co_await sleep_for(1ms);  // the receive is armed in the kernel, holding the socket
    h.cancel();
    try {
      (void)co_await h;
    } catch (const operation_cancelled&) {
    }
    a.close();
    // No loop turn in between: the peer sees the end of the stream now.
    pollfd p{sv[1], POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 1000), 1);
    char c;
    EXPECT_EQ(::recv(sv[1], &c, 1, MSG_DONTWAIT), 0);
    ::close(sv[1]);
  };
  run(main());
}

TEST_F(uring, a_pipe_which_takes_no_receive_is_read_through_readiness) {
  auto main = []() -> task<void> {
    int p[2];
    CO_ASSERT_TRUE(::pipe2(p, O_CLOEXEC) == 0);
    async_fd r(p[0]), w(p[1]);
    auto h = spawn(read_some(r));  // EAGAIN, a receive refused (ENOTSOCK), then a poll
    co_await sleep_for(2ms);
    (void)co_await w.write("piped", 5);
    EXPECT_EQ(co_await h, "piped");
    (void)co_await w.write("again", 5);
    EXPECT_EQ(co_await read_some(r), "again");
  };
  run(main());
}

TEST_F(uring, readable_reports_data_already_received_into_the_pool) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    auto h = spawn(read_some(b));  // arms the receive
    co_await sleep_for(1ms);
    (void)co_await a.write("one", 3);
    EXPECT_EQ(co_await h, "one");
    (void)co_await a.write("two", 3);
    co_await sleep_for(1ms);  // "two" is in the pool now, not in the socket
    EXPECT_EQ(co_await b.readable(), 0);
    EXPECT_EQ(co_await read_some(b), "two");
  };
  run(main());
}


TEST_F(uring, an_fd_that_is_sent_more_than_it_reads_holds_only_its_share_of_the_receive_pool) {
  auto main = []() -> task<void> {
    auto [a, b] = make_socketpair();
    (void)co_await a.write("s", 1);
    EXPECT_EQ(co_await read_some(b), "s");  // a short read: the receive is armed from here
    constexpr std::size_t total = 1 << 20;  // 256 of the pool's buffers, were they all taken
    auto w = spawn(write_pattern(a, total));
    co_await sleep_for(50ms);
    const std::uint32_t taken = uring_backend::buffer_count - current_uring().buffers_free();
    EXPECT_GE(taken, uring_backend::max_held);
    EXPECT_LE(taken, uring_backend::max_held + 64u);  // the share, and what lands before the cancel
    const bool in_order = co_await read_pattern(b, total, 3000);  // reads take it back, paused and resumed
    EXPECT_TRUE(in_order);
    co_await w;
    EXPECT_EQ(current_uring().buffers_free(), uring_backend::buffer_count);
  };
  run(main());
}

TEST_F(uring, when_unread_peers_have_drained_the_pool_a_reader_is_served_from_its_socket) {
  auto main = []() -> task<void> {
    auto [good_w, good_r] = make_socketpair();
    (void)co_await good_w.write("s", 1);
    EXPECT_EQ(co_await read_some(good_r), "s");  // armed before the pool runs dry
    std::vector<fd_pair> floods;
    for (int k = 0; k < 300; ++k) {  // 300 x max_held buffers: more than the pool has
      floods.push_back(make_socketpair());
      (void)co_await floods.back().a.write("s", 1);
      EXPECT_EQ(co_await read_some(floods.back().b), "s");
    }
    static const std::string flood(65536, 'x');
    for (auto& f : floods) (void)co_await f.a.write(flood.data(), flood.size());
    // The kernel fills the pool as the loop turns: wait (bounded) until it is dry.
    auto t0 = mono_clock::now();
    while (current_uring().buffers_free() > 0 && mono_clock::now() - t0 < 2s) co_await sleep_for(5ms);
    EXPECT_EQ(current_uring().buffers_free(), 0u);
    (void)co_await good_w.write("ping", 4);
    char buf[16];
    long n = co_await good_r.read(buf, sizeof buf).until(mono_clock::now() + 2s);
    CO_ASSERT_TRUE(n == 4);
    EXPECT_EQ(std::string(buf, 4), "ping");
    (void)co_await good_w.write("pong", 4);  // and the next read too
    n = co_await good_r.read(buf, sizeof buf).until(mono_clock::now() + 2s);
    CO_ASSERT_TRUE(n == 4);
    EXPECT_EQ(std::string(buf, 4), "pong");
  };
  run(main());
}

/// A loop on the io_uring backend with a receive pool of `buffers` buffers.
class uring_small_pool : public uring {
 protected:
  void SetUp() override {
    try {
      backend_ = std::make_unique<uring_backend>(pool);
    } catch (const std::system_error&) {
      GTEST_SKIP() << "io_uring is not available here";
    }
  }
  static constexpr std::uint32_t pool = 8;
};

/// `pairs[k].b` has its receive armed: a short first read arms it.
task<void> arm_receives(std::vector<fd_pair>& pairs) {
  for (auto& p : pairs) {
    (void)co_await p.a.write("s", 1);
    CO_ASSERT_TRUE(co_await read_some(p.b) == "s");
  }
}

TEST_F(uring_small_pool, readers_starved_by_a_dry_pool_are_never_armed_twice_and_all_complete_when_buffers_return) {
  auto main = []() -> task<void> {
    constexpr int n = 32;  // four times the pool
    std::vector<fd_pair> hog(1), readers(n);
    hog[0] = make_socketpair();
    for (auto& p : readers) p = make_socketpair();
    co_await arm_receives(hog);
    co_await arm_receives(readers);
    // The hog is sent more than it reads: it takes the whole pool (its share is the pool).
    static const std::string flood(64 * 1024, 'h');
    (void)co_await hog[0].a.write(flood.data(), flood.size());
    auto t0 = mono_clock::now();
    while (current_uring().buffers_free() > 0 && mono_clock::now() - t0 < 2s) co_await sleep_for(1ms);
    CO_ASSERT_TRUE(current_uring().buffers_free() == 0u);
    // Each reader's receive runs into the dry pool (ENOBUFS) and its read is served from the
    // socket; its next read waits on the socket's readiness.
    for (int k = 0; k < n; ++k) (void)co_await readers[k].a.write("first", 5);
    for (auto& p : readers) CO_ASSERT_TRUE(co_await read_some(p.b) == "first");
    std::vector<join_handle<std::string>> waiting;
    for (auto& p : readers) waiting.push_back(spawn(read_some(p.b)));
    co_await sleep_for(2ms);
    // The pool comes back: the hog's data is read.
    char sink[4096];
    std::size_t drained = 0;
    while (drained < flood.size()) {
      long got = co_await hog[0].b.read(sink, sizeof sink).until(mono_clock::now() + 2s);
      CO_ASSERT_TRUE(got > 0);
      drained += static_cast<std::size_t>(got);
    }
    for (int turn = 0; turn < 3; ++turn) {  // the turns in which starved fds may be armed again
      co_await sleep_for(1ms);
      for (auto& p : readers) EXPECT_LE(current_uring().read_requests(p.b.handle()), 1) << "a receive armed beside the read's poll";
    }
    // Every waiting read completes, promptly, with its own data.
    for (int k = 0; k < n; ++k) (void)co_await readers[k].a.write("second", 6);
    t0 = mono_clock::now();
    for (auto& w : waiting) EXPECT_EQ(co_await w, "second");
    EXPECT_LT(mono_clock::now() - t0, 500ms);
    // And the next reads too, now that the pool is back.
    for (int k = 0; k < n; ++k) (void)co_await readers[k].a.write("third", 5);
    for (auto& p : readers) EXPECT_EQ(co_await read_some(p.b), "third");
    EXPECT_EQ(current_uring().buffers_free(), pool);
  };
  run(main());
}

TEST_F(uring_small_pool, many_connections_sharing_a_tiny_pool_exchange_every_message_without_a_receive_storm) {
  auto main = []() -> task<void> {
    constexpr int n = 200, rounds = 50;  // 25 fds per buffer, each side on this loop
    std::vector<fd_pair> pairs(n);
    for (auto& p : pairs) p = make_socketpair();
    auto server = [](async_fd& fd) -> task<void> {
      char buf[64];
      for (;;) {
        long r = co_await fd.read(buf, sizeof buf);
        if (r <= 0) co_return;
        CO_ASSERT_TRUE(co_await fd.write("response", 8) == 8);
      }
    };
    auto client = [](async_fd& fd, duration& slowest) -> task<int> {
      char buf[64];
      int ok = 0;
      for (int k = 0; k < rounds; ++k) {
        (void)co_await fd.write("request", 7);
        const auto t0 = mono_clock::now();
        long r = co_await fd.read(buf, sizeof buf).until(t0 + 2s);
        slowest = std::max<duration>(slowest, mono_clock::now() - t0);
        ok += r == 8 && std::string(buf, 8) == "response";
      }
      co_return ok;
    };
    std::vector<duration> slowest(n);
    std::vector<join_handle<void>> servers;
    std::vector<join_handle<int>> clients;
    for (auto& p : pairs) servers.push_back(spawn(server(p.a)));
    for (int k = 0; k < n; ++k) clients.push_back(spawn(client(pairs[k].b, slowest[k])));
    int ok = 0;
    for (auto& c : clients) ok += co_await c;
    for (auto& p : pairs) p.b.close();
    for (auto& s : servers) co_await s;
    EXPECT_EQ(ok, n * rounds);  // no read lost or timed out
    EXPECT_LT(*std::max_element(slowest.begin(), slowest.end()), 500ms);
    // A receive armed into a pool that cannot serve it ends in ENOBUFS at its first data: re-arming
    // every starved reader as soon as one buffer is back made that happen more often than not.
    const std::uint64_t reads = 2u * n * rounds;
    EXPECT_LT(current_uring().receives_starved(), reads / 4) << "of " << reads << " reads";
    EXPECT_EQ(current_uring().buffers_free(), pool);
  };
  run(main());
}
