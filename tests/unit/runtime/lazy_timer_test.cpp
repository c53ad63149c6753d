#include "runtime/lazy_timer.hpp"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

#include "runtime/io.hpp"
#include "runtime/spawn.hpp"

using namespace barrage;
using namespace std::chrono_literals;

namespace {

/// Where an expiry lands: when it ran (the loop's clock of that turn) and how many ran.
struct expiry {
  time_point at{};
  int count = 0;
  static void note(void* p) noexcept {
    auto* e = static_cast<expiry*>(p);
    e->at = event_loop::current().now();
    ++e->count;
  }
};

/// Runs turns until `done` or `limit` of wall time has passed.
template <class F>
void turn_until(event_loop& loop, F done, duration limit = 2s) {
  const time_point end = mono_clock::now() + limit;
  while (!done() && mono_clock::now() < end) loop.run_once(5ms);
}

}  // namespace

TEST(lazy_timer, a_wait_expires_at_its_deadline_and_not_before) {
  event_loop loop;
  lazy_timer t;
  expiry e;
  const time_point deadline = mono_clock::now() + 20ms;
  t.start(loop, deadline, &expiry::note, &e);
  turn_until(loop, [&] { return e.count > 0; });
  ASSERT_EQ(e.count, 1);
  EXPECT_GE(e.at, deadline);
  EXPECT_LT(e.at, deadline + 500ms);
  EXPECT_FALSE(t.waiting());
}

TEST(lazy_timer, a_later_wait_keeps_the_queued_node_and_expires_at_its_own_deadline_not_the_first) {
  event_loop loop;
  lazy_timer t;
  expiry first, second;
  const time_point d1 = mono_clock::now() + 10ms;
  t.start(loop, d1, &expiry::note, &first);
  t.stop(&first);
  const time_point d2 = d1 + 50ms;
  t.start(loop, d2, &expiry::note, &second);
  turn_until(loop, [&] { return second.count > 0; });
  EXPECT_EQ(first.count, 0);
  ASSERT_EQ(second.count, 1);
  EXPECT_GE(second.at, d2) << "the node fired at d1 and was queued again at d2";
}

TEST(lazy_timer, a_wait_with_an_earlier_deadline_than_the_queued_node_expires_at_its_own) {
  event_loop loop;
  lazy_timer t;
  expiry first, second;
  const time_point d1 = mono_clock::now() + 1s;
  t.start(loop, d1, &expiry::note, &first);
  t.stop(&first);
  const time_point d2 = mono_clock::now() + 20ms;
  t.start(loop, d2, &expiry::note, &second);
  turn_until(loop, [&] { return second.count > 0; });
  EXPECT_EQ(first.count, 0);
  ASSERT_EQ(second.count, 1);
  EXPECT_GE(second.at, d2);
  EXPECT_LT(second.at, d1) << "not held back by the node's later deadline";
}

TEST(lazy_timer, a_stopped_wait_never_expires_and_its_node_leaves_the_heap_when_it_fires) {
  event_loop loop;
  lazy_timer t;
  expiry e;
  const time_point deadline = mono_clock::now() + 10ms;
  t.start(loop, deadline, &expiry::note, &e);
  t.stop(&e);
  EXPECT_TRUE(t.queued()) << "stopping leaves the node where it is";
  turn_until(loop, [&] { return !t.queued(); });
  EXPECT_FALSE(t.queued());
  EXPECT_EQ(e.count, 0);
  EXPECT_GE(loop.now(), deadline);
}

TEST(lazy_timer, stopping_another_waiter_leaves_the_wait_in_progress) {
  event_loop loop;
  lazy_timer t;
  expiry e, other;
  t.start(loop, mono_clock::now() + 10ms, &expiry::note, &e);
  t.stop(&other);
  EXPECT_TRUE(t.waiting());
  turn_until(loop, [&] { return e.count > 0; });
  EXPECT_EQ(e.count, 1);
}

TEST(lazy_timer, an_idle_timer_released_leaves_the_heap_and_a_waiting_one_stays) {
  event_loop loop;
  lazy_timer t;
  expiry e;
  t.start(loop, mono_clock::now() + 10ms, &expiry::note, &e);
  t.release_if_idle();
  EXPECT_TRUE(t.queued()) << "a wait is in progress: its timeout stays";
  t.stop(&e);
  t.release_if_idle();
  EXPECT_FALSE(t.queued());
}

TEST(lazy_timer, a_destroyed_timer_leaves_nothing_queued_in_the_loop) {
  event_loop loop;
  expiry e;
  {
    lazy_timer t;
    t.start(loop, mono_clock::now() + 10ms, &expiry::note, &e);
  }
  // A node left queued would fire from freed memory here (and note the expiry).
  lazy_timer later;
  expiry l;
  later.start(loop, mono_clock::now() + 40ms, &expiry::note, &l);
  turn_until(loop, [&] { return l.count > 0; });
  EXPECT_EQ(e.count, 0);
  EXPECT_EQ(l.count, 1);
}

TEST(lazy_timer, reads_in_a_series_each_time_out_at_their_own_deadline_on_one_timer) {
  auto main = []() -> task<void> {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair");
    async_fd a(sv[0]), b(sv[1]);
    lazy_timer t;
    char buf[8];
    for (duration after : {30ms, 10ms, 40ms}) {  // later, earlier, later than the queued node
      const time_point deadline = mono_clock::now() + after;
      const long n = co_await b.read(buf, sizeof buf).until(t, deadline);
      EXPECT_EQ(n, -ETIMEDOUT);
      EXPECT_GE(event_loop::current().now(), deadline);
      EXPECT_LT(mono_clock::now(), deadline + 500ms);
    }
    // A read that completes stops its wait: no expiry reaches the next one.
    EXPECT_EQ(::send(a.fd(), "x", 1, 0), 1);
    EXPECT_EQ(co_await b.read(buf, sizeof buf).until(t, mono_clock::now() + 1s), 1);
    EXPECT_FALSE(t.waiting());
  };
  sync_wait(main());
}
