// Stamped reads (io_kind::read_stamped: the kernel's receive time of the data) and the loop's
// hold_io option (sleep until the next timer batch without watching I/O, then poll without
// waiting), on a loopback TCP pair; both backends (tests/CMakeLists.txt runs them on epoll too).
#include <arpa/inet.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "runtime/io.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "loopback_pair.hpp"

using namespace barrage;
using namespace std::chrono_literals;
using test::realtime_ns;
using test::stamp_receives;
using test::tcp_pair;

namespace {

event_loop::options hold_options(duration slack, bool hold) {
  event_loop::options o;
  o.monitor_lag = false;
  o.timer_slack = slack;
  o.hold_io = hold;
  return o;
}

}  // namespace

TEST(receive_stamp, a_stamped_read_reports_when_the_data_came_not_when_it_was_read) {
  auto [c, s] = tcp_pair();
  ASSERT_TRUE(stamp_receives(c));
  event_loop loop;
  async_fd fd(c);
  const std::int64_t sent_at = realtime_ns();
  ASSERT_EQ(::write(s, "hello", 5), 5);
  std::this_thread::sleep_for(30ms);  // the data waits in the socket
  std::int64_t stamp = -1;
  char buf[16];
  const long n = loop.run([](async_fd& f, char* b, std::int64_t& st) -> task<long> {
    co_return co_await f.read_stamped(b, 16, &st);
  }(fd, buf, stamp));
  const std::int64_t read_at = realtime_ns();
  ASSERT_EQ(n, 5);
  ASSERT_GT(stamp, 0) << "no receive stamp";
  EXPECT_GE(stamp, sent_at - 1'000'000);
  EXPECT_LT(stamp - sent_at, 20'000'000) << "the stamp is the read's time, not the data's";
  EXPECT_GE(read_at - stamp, 25'000'000);
  ::close(s);
}

TEST(receive_stamp, a_stamped_read_that_waits_gets_the_stamp_of_what_woke_it) {
  auto [c, s] = tcp_pair();
  ASSERT_TRUE(stamp_receives(c));
  event_loop loop;
  async_fd fd(c);
  std::int64_t sent_at = 0;
  std::thread writer([&, s = s] {
    std::this_thread::sleep_for(20ms);
    sent_at = realtime_ns();
    (void)::write(s, "late", 4);
  });
  std::int64_t stamp = 0;
  char buf[16];
  const long n = loop.run([](async_fd& f, char* b, std::int64_t& st) -> task<long> {
    co_return co_await f.read_stamped(b, 16, &st);
  }(fd, buf, stamp));
  writer.join();
  ASSERT_EQ(n, 4);
  ASSERT_GT(stamp, 0);
  EXPECT_GE(stamp, sent_at - 1'000'000);
  EXPECT_LT(stamp - sent_at, 10'000'000);
  // The next read waits for more: the end of the stream, no stamp needed.
  ::close(s);
  const long end = loop.run([](async_fd& f, char* b, std::int64_t& st) -> task<long> {
    co_return co_await f.read_stamped(b, 16, &st);
  }(fd, buf, stamp));
  EXPECT_EQ(end, 0);
}

namespace {

struct noted {
  time_point at;
  std::uint64_t turn;
};

task<void> note_read(async_fd& f, noted& out) {
  char buf[16];
  std::int64_t stamp = 0;
  co_await f.read_stamped(buf, sizeof buf, &stamp);
  out = {mono_clock::now(), event_loop::current().metrics().snapshot().turns};
}

task<void> note_timer(time_point deadline, noted& out) {
  co_await sleep_until(deadline);
  out = {mono_clock::now(), event_loop::current().metrics().snapshot().turns};
}

/// A read waiting while a timer at +60 ms is pending and data comes at +10 ms: when each ran.
std::pair<noted, noted> read_beside_a_timer(bool hold, time_point& t0, time_point& deadline) {
  auto [c, s] = tcp_pair();
  event_loop loop(hold_options(40ms, hold));
  async_fd fd(c);
  noted read{}, timer{};
  t0 = mono_clock::now();
  deadline = t0 + 60ms;
  auto r = spawn(note_read(fd, read), "reader");
  auto t = spawn(note_timer(deadline, timer), "timer");
  loop.run_once(duration::zero());  // both start: the read waits, the timer is armed
  std::thread writer([s = s, t0] {
    std::this_thread::sleep_until(t0 + 10ms);
    (void)::write(s, "x", 1);
  });
  while (read.turn == 0 || timer.turn == 0) loop.run_once();
  writer.join();
  ::close(s);
  return {read, timer};
}

}  // namespace

TEST(hold_io, io_that_comes_while_the_next_batch_is_near_waits_for_the_batch_and_the_timer_is_on_time) {
  time_point t0, deadline;
  auto [read, timer] = read_beside_a_timer(true, t0, deadline);
  EXPECT_GE(timer.at, deadline) << "a timer fired early";
  EXPECT_LT(timer.at - deadline, 40ms + 20ms) << "later than the slack allows (20 ms of scheduling noise)";
  EXPECT_GE(read.at, deadline) << "the read was not held until the batch";
  EXPECT_EQ(read.turn, timer.turn) << "the held read and the batch were not one turn";
}

TEST(hold_io, without_it_io_is_handled_when_it_comes) {
  time_point t0, deadline;
  auto [read, timer] = read_beside_a_timer(false, t0, deadline);
  if (read.at >= deadline) GTEST_SKIP() << "the read came after the timer (a loaded machine): nothing to tell";
  EXPECT_LT(read.turn, timer.turn);
  EXPECT_GE(timer.at, deadline);
}

TEST(hold_io, a_timer_beyond_twice_the_slack_is_waited_for_with_io_watched) {
  // The next timer is 200 ms away (slack 40 ms): the loop waits on I/O, so the read at +10 ms
  // is handled at once, not at the timer.
  auto [c, s] = tcp_pair();
  event_loop loop(hold_options(40ms, true));
  async_fd fd(c);
  noted read{}, timer{};
  const time_point t0 = mono_clock::now();
  auto r = spawn(note_read(fd, read), "reader");
  auto t = spawn(note_timer(t0 + 200ms, timer), "timer");
  loop.run_once(duration::zero());
  std::thread writer([s = s, t0] {
    std::this_thread::sleep_until(t0 + 10ms);
    (void)::write(s, "x", 1);
  });
  while (read.turn == 0) loop.run_once();
  writer.join();
  EXPECT_LT(read.at, t0 + 160ms) << "held although the timer was beyond twice the slack";
  EXPECT_EQ(timer.turn, 0u);
  while (timer.turn == 0) loop.run_once();
  EXPECT_GE(timer.at, t0 + 200ms);
  ::close(s);
}

TEST(hold_io, a_write_made_before_the_hold_goes_out_before_it_not_after) {
  // io_uring keeps a small write in its send buffer until the turn's submission: the hold must
  // submit it before sleeping, or each request would leave up to twice the slack late.
  auto [c, s] = tcp_pair();
  event_loop loop(hold_options(40ms, true));
  async_fd fd(c);
  noted timer{};
  const time_point t0 = mono_clock::now();
  time_point got_at{};
  std::thread reader([s = s, &got_at] {
    char b[4];
    if (::read(s, b, sizeof b) > 0) got_at = mono_clock::now();
  });
  auto t = spawn(note_timer(t0 + 60ms, timer), "timer");
  auto w = spawn([](async_fd& f) -> task<void> { co_await f.write("x", 1); }(fd), "writer");
  while (timer.turn == 0) loop.run_once();
  reader.join();
  ASSERT_NE(got_at, time_point{});
  EXPECT_LT(got_at - t0, 30ms) << "the write waited for the end of the hold";
  EXPECT_GE(timer.at, t0 + 60ms);
  ::close(s);
}

TEST(receive_stamp, a_stamped_read_after_plain_ones_reads_on_in_order_without_a_stamp_where_none_is_kept) {
  // io_uring: a plain read that had to wait armed the socket's receive into the pool; the
  // stamped reads after it take the pool's bytes in order (they carry no stamp there). epoll:
  // every read is a syscall, and the stamped ones are stamped.
  auto [c, s] = tcp_pair();
  ASSERT_TRUE(stamp_receives(c));
  event_loop loop;
  async_fd fd(c);
  std::thread writer([s = s] {
    std::this_thread::sleep_for(10ms);
    (void)::write(s, "ab", 2);
    std::this_thread::sleep_for(10ms);
    (void)::write(s, "cd", 2);
  });
  std::string got;
  std::vector<std::int64_t> stamps;
  loop.run([](async_fd& f, std::string& out, std::vector<std::int64_t>& st) -> task<void> {
    char b[8];
    const long n = co_await f.read(b, 1);  // waits: io_uring arms its receive here
    out.append(b, static_cast<std::size_t>(n));
    while (out.size() < 4) {
      std::int64_t stamp = -1;
      const long m = co_await f.read_stamped(b, sizeof b, &stamp);
      if (m <= 0) break;
      out.append(b, static_cast<std::size_t>(m));
      st.push_back(stamp);
    }
  }(fd, got, stamps));
  writer.join();
  EXPECT_EQ(got, "abcd");
  for (std::int64_t st : stamps) EXPECT_GE(st, 0) << "a stamp was left unset";
  if (std::string(loop.backend().name()) == "epoll") {
    for (std::int64_t st : stamps) EXPECT_GT(st, 0);
  }
  ::close(s);
}
