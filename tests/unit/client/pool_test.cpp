#include "client/pool.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "co_assert.hpp"
#include "runtime/spawn.hpp"
#include "runtime/with_timeout.hpp"
#include "scripted_peer.hpp"

using namespace barrage;
using namespace barrage::client;
using namespace std::chrono_literals;
using test::scripted_peer;

namespace {

/// A peer that accepts connections and keeps them open (it waits for a request forever).
std::unique_ptr<scripted_peer> silent_peer() {
  return std::make_unique<scripted_peer>(std::vector<test::script_step>{});
}

pool_options limits(std::size_t total, std::size_t per_host = 0) {
  pool_options o;
  o.limit = total;
  o.limit_per_host = per_host;
  return o;
}

/// Lets the loop run until `n` tasks wait in the pool (or 2 s pass).
task<void> until_waiting(pool& p, std::size_t n) {
  for (int i = 0; i < 2000 && p.waiting() != n; ++i) co_await sleep_for(1ms);
  EXPECT_EQ(p.waiting(), n);
}

/// Acquires, notes `id` in `order` (and whether the connection was reused), holds the lease
/// for a turn of the loop, releases.
task<void> take_turn(pool& p, std::string key, net::socket_address addr, std::vector<int>& order, int id,
                     std::vector<bool>* reused = nullptr) {
  auto l = co_await p.acquire(key, addr);
  CO_ASSERT_TRUE(l.ok());
  order.push_back(id);
  if (reused) reused->push_back(l->reused());
  co_await yield_now{};
}

/// Acquires and holds the lease until `release` is set, then gives it back (closed when
/// `close` is set).
task<void> hold_until(pool& p, std::string key, net::socket_address addr, std::vector<int>& order, int id,
                      const bool& release, bool close) {
  auto l = co_await p.acquire(key, addr);
  CO_ASSERT_TRUE(l.ok());
  order.push_back(id);
  while (!release) co_await sleep_for(1ms);
  if (close) (*l)->close();
}

/// Waits for a task without taking its handle (a timeout around this stops the wait only).
task<void> join(join_handle<void>& h) { co_await h; }

}  // namespace

TEST(pool, waiters_get_connections_in_arrival_order) {
  sync_wait([]() -> task<void> {
    auto peer = silent_peer();
    pool p(limits(1));
    auto holder = co_await p.acquire("a", peer->address());
    CO_ASSERT_TRUE(holder.ok());
    std::vector<int> order;
    std::vector<bool> reused;
    std::vector<join_handle<void>> hs;
    for (int i = 0; i < 5; ++i) {
      hs.push_back(spawn(take_turn(p, "a", peer->address(), order, i, &reused)));
      co_await until_waiting(p, static_cast<std::size_t>(i + 1));
    }
    holder->release();
    for (auto& h : hs) co_await h;
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(reused, std::vector<bool>(5, true));
    EXPECT_EQ(peer->connections(), 1);
    EXPECT_EQ(p.waits(), 5u);
    EXPECT_EQ(p.reuses(), 5u);
    EXPECT_EQ(p.open_connections(), 1u);
    EXPECT_EQ(p.idle_connections(), 1u);
  }());
}

TEST(pool, a_returned_connection_goes_to_the_waiter_not_to_a_newcomer_of_the_same_turn) {
  sync_wait([]() -> task<void> {
    auto peer = silent_peer();
    pool p(limits(1));
    auto holder = co_await p.acquire("a", peer->address());
    CO_ASSERT_TRUE(holder.ok());
    std::vector<int> order;
    auto waiter = spawn(take_turn(p, "a", peer->address(), order, 1));
    co_await until_waiting(p, 1);
    holder->release();  // the waiter resumes on the next turn...
    auto newcomer = co_await p.acquire("a", peer->address());  // ...and this acquire starts now
    CO_ASSERT_TRUE(newcomer.ok());
    order.push_back(2);
    EXPECT_TRUE(newcomer->reused());
    newcomer->release();
    co_await waiter;
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
    EXPECT_EQ(peer->connections(), 1);
  }());
}

TEST(pool, a_newcomer_for_another_host_closes_an_idle_connection_held_by_the_total_limit) {
  sync_wait([]() -> task<void> {
    auto a = silent_peer(), b = silent_peer();
    pool p(limits(1));
    {
      auto l = co_await p.acquire("a", a->address());
      CO_ASSERT_TRUE(l.ok());
    }
    EXPECT_EQ(p.idle_connections(), 1u);
    auto r = co_await with_timeout(2s, p.acquire("b", b->address()));
    CO_ASSERT_TRUE(r.ok() && r->ok());
    EXPECT_FALSE((*r)->reused());
    EXPECT_EQ(p.idle_connections(), 0u);
    EXPECT_EQ(p.open_connections(), 1u);
    EXPECT_EQ(p.waits(), 0u);
  }());
}

TEST(pool, a_waiter_for_another_host_gets_the_slot_of_a_connection_that_comes_back) {
  sync_wait([]() -> task<void> {
    auto a = silent_peer(), b = silent_peer();
    pool p(limits(1));
    auto held = co_await p.acquire("a", a->address());
    CO_ASSERT_TRUE(held.ok());
    std::vector<int> order;
    std::vector<bool> reused;
    auto waiter = spawn(take_turn(p, "b", b->address(), order, 1, &reused));
    co_await until_waiting(p, 1);
    held->release();  // open, but nobody waits for host a: closed, its slot goes to b
    EXPECT_EQ(p.idle_connections(), 0u);
    EXPECT_EQ(p.open_connections(), 1u);  // counted for b already
    auto done = co_await with_timeout(2s, std::move(waiter));
    EXPECT_TRUE(done.ok());
    EXPECT_EQ(order, (std::vector<int>{1}));
    EXPECT_EQ(reused, (std::vector<bool>{false}));
    EXPECT_EQ(b->connections(), 1);
    EXPECT_EQ(p.open_connections(), 1u);
    EXPECT_EQ(p.idle_connections(), 1u);  // b's
  }());
}

TEST(pool, a_freed_slot_goes_to_the_oldest_waiter_whose_host_is_under_its_limit) {
  sync_wait([]() -> task<void> {
    auto a = silent_peer(), b = silent_peer(), c = silent_peer();
    pool p(limits(2, 1));
    bool release_a = false, release_b = false;
    std::vector<int> order;
    auto ha = spawn(hold_until(p, "a", a->address(), order, 0, release_a, /*close=*/true));
    auto hb = spawn(hold_until(p, "b", b->address(), order, 0, release_b, /*close=*/false));
    for (int i = 0; i < 2000 && order.size() < 2; ++i) co_await sleep_for(1ms);
    CO_ASSERT_TRUE(order.size() == 2u);
    order.clear();
    // Both limits reached. Queued in this order: b (at its own limit), c, a.
    auto wb = spawn(take_turn(p, "b", b->address(), order, 1));
    co_await until_waiting(p, 1);
    auto wc = spawn(take_turn(p, "c", c->address(), order, 2));
    co_await until_waiting(p, 2);
    auto wa = spawn(take_turn(p, "a", a->address(), order, 3));
    co_await until_waiting(p, 3);

    release_a = true;  // a's connection closes: its slot skips b's waiter and goes to c's
    co_await ha;
    co_await wc;
    EXPECT_EQ(order, (std::vector<int>{2}));
    EXPECT_EQ(c->connections(), 1);
    // c's connection comes back open with nobody waiting for c: closed, and its slot goes to
    // a's waiter (held by the total limit), again skipping b's.
    if (!(co_await with_timeout(2s, join(wa))).ok()) {
      ADD_FAILURE() << "a's waiter was not served";
      for (auto* h : {&wa, &wb}) h->cancel();
      release_b = true;
      for (auto* h : {&wa, &wb, &hb}) {
        try {
          co_await *h;
        } catch (const operation_cancelled&) {
        }
      }
      co_return;
    }
    EXPECT_EQ(order, (std::vector<int>{2, 3}));
    EXPECT_EQ(a->connections(), 2);
    EXPECT_EQ(p.waiting(), 1u);

    release_b = true;  // b's connection comes back open: to b's waiter
    co_await hb;
    co_await wb;
    EXPECT_EQ(order, (std::vector<int>{2, 3, 1}));
    EXPECT_EQ(b->connections(), 1);
    EXPECT_EQ(p.waiting(), 0u);
    EXPECT_EQ(p.open_connections(), 2u);  // a's and b's, idle
    EXPECT_EQ(p.idle_connections(), 2u);
  }());
}

TEST(pool, a_cancelled_waiter_leaves_the_queue_and_the_next_one_is_served) {
  sync_wait([]() -> task<void> {
    auto peer = silent_peer();
    pool p(limits(1));
    auto holder = co_await p.acquire("a", peer->address());
    CO_ASSERT_TRUE(holder.ok());
    std::vector<int> order;
    auto first = spawn(take_turn(p, "a", peer->address(), order, 1));
    co_await until_waiting(p, 1);
    auto second = spawn(take_turn(p, "a", peer->address(), order, 2));
    co_await until_waiting(p, 2);
    first.cancel();
    bool cancelled = false;
    try {
      co_await first;
    } catch (const operation_cancelled&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    EXPECT_EQ(p.waiting(), 1u);
    // A timeout around acquire cancels it the same way.
    auto timed = co_await with_timeout(10ms, p.acquire("a", peer->address()));
    EXPECT_FALSE(timed.ok());
    EXPECT_EQ(p.waiting(), 1u);
    holder->release();
    co_await second;
    EXPECT_EQ(order, (std::vector<int>{2}));
    EXPECT_EQ(p.open_connections(), 1u);
    EXPECT_EQ(p.idle_connections(), 1u);
  }());
}

TEST(pool, a_waiter_cancelled_after_the_hand_off_gets_the_connection_and_gives_it_back) {
  sync_wait([]() -> task<void> {
    auto peer = silent_peer();
    pool p(limits(1));
    auto holder = co_await p.acquire("a", peer->address());
    CO_ASSERT_TRUE(holder.ok());
    bool got = false, stopped = false;
    auto waiter = spawn([](pool& pp, net::socket_address addr, bool& g, bool& s) -> task<void> {
      auto l = co_await pp.acquire("a", addr);  // handed the connection, then cancelled
      g = l.ok() && l->reused();
      try {
        co_await sleep_for(1ms);  // the pending stop lands here
      } catch (const operation_cancelled&) {
        s = true;
        throw;
      }
    }(p, peer->address(), got, stopped));
    co_await until_waiting(p, 1);
    holder->release();  // handed over: the waiter is scheduled...
    waiter.cancel();    // ...and cancelled before it runs
    try {
      co_await waiter;
    } catch (const operation_cancelled&) {
    }
    EXPECT_TRUE(got);
    EXPECT_TRUE(stopped);
    EXPECT_EQ(p.waiting(), 0u);
    EXPECT_EQ(p.open_connections(), 1u);
    EXPECT_EQ(p.idle_connections(), 1u);  // given back by the lease
    EXPECT_EQ(peer->connections(), 1);
  }());
}

TEST(pool, a_waiter_cancelled_after_being_handed_a_slot_frees_it) {
  sync_wait([]() -> task<void> {
    auto peer = silent_peer();
    pool p(limits(1));
    auto holder = co_await p.acquire("a", peer->address());
    CO_ASSERT_TRUE(holder.ok());
    std::vector<int> order;
    auto waiter = spawn(take_turn(p, "a", peer->address(), order, 1));
    co_await until_waiting(p, 1);
    (*holder)->close();
    holder->release();  // a slot for the waiter, counted open for it at once
    EXPECT_EQ(p.open_connections(), 1u);
    waiter.cancel();  // it resumes with the slot and stops at its connect
    bool cancelled = false;
    try {
      co_await waiter;
    } catch (const operation_cancelled&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(order.empty());
    EXPECT_EQ(p.open_connections(), 0u);
    EXPECT_EQ(p.idle_connections(), 0u);
    EXPECT_EQ(p.waiting(), 0u);
  }());
}

TEST(pool, a_release_wakes_one_waiter_so_ten_thousand_waiters_cost_linear_work) {
  sync_wait([]() -> task<void> {
    constexpr int n = 10'000;
    auto peer = silent_peer();
    pool p(limits(1));
    auto holder = co_await p.acquire("a", peer->address());
    CO_ASSERT_TRUE(holder.ok());
    std::vector<int> order;
    order.reserve(n);
    std::vector<join_handle<void>> hs;
    hs.reserve(n);
    for (int i = 0; i < n; ++i) hs.push_back(spawn(take_turn(p, "a", peer->address(), order, i)));
    co_await until_waiting(p, n);
    holder->release();
    for (auto& h : hs) co_await h;
    CO_ASSERT_TRUE(order.size() == static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i) << "at " << i;
    // Each waiter suspended once and was resumed once, by the hand-off. A broadcast makes
    // every waiter look again at each release: about n * n / 2 waits.
    EXPECT_EQ(p.waits(), static_cast<std::uint64_t>(n));
    EXPECT_EQ(p.reuses(), static_cast<std::uint64_t>(n));
    EXPECT_EQ(peer->connections(), 1);
  }());
}
