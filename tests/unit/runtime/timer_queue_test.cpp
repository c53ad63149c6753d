#include "runtime/timer_queue.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <set>
#include <tuple>
#include <vector>

using namespace barrage;

namespace {

time_point at(int ms) { return time_point(std::chrono::milliseconds(ms)); }

timer_node& with_deadline(timer_node& n, int ms) {
  n.deadline = at(ms);
  return n;
}

/// Pops everything due at `now`, in firing order.
std::vector<timer_node*> drain(timer_queue& q, time_point now) {
  std::vector<timer_node*> out;
  while (timer_node* n = q.pop_due(now)) out.push_back(n);
  return out;
}

}  // namespace

TEST(timer_queue, the_earlier_deadline_fires_first) {
  timer_queue q;
  timer_node late, early, middle;
  q.insert(with_deadline(late, 30));
  q.insert(with_deadline(early, 10));
  q.insert(with_deadline(middle, 20));
  EXPECT_EQ(q.next_deadline(), at(10));
  EXPECT_EQ(drain(q, at(100)), (std::vector<timer_node*>{&early, &middle, &late}));
  EXPECT_TRUE(q.empty());
}

TEST(timer_queue, equal_deadlines_fire_in_insertion_order) {
  timer_queue q;
  std::vector<timer_node> nodes(50);
  for (auto& n : nodes) q.insert(with_deadline(n, 5));
  auto fired = drain(q, at(5));
  ASSERT_EQ(fired.size(), nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) EXPECT_EQ(fired[i], &nodes[i]) << i;
}

TEST(timer_queue, equal_deadlines_keep_insertion_order_across_the_wrap_of_arrival_numbers) {
  timer_queue q(0xFFFF'FFF0u);  // 16 arrivals before the 32-bit counter wraps to zero
  std::vector<timer_node> nodes(50);
  for (auto& n : nodes) q.insert(with_deadline(n, 5));
  auto fired = drain(q, at(5));
  ASSERT_EQ(fired.size(), nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) EXPECT_EQ(fired[i], &nodes[i]) << i;
}

TEST(timer_queue, nothing_pops_before_its_deadline) {
  timer_queue q;
  timer_node n;
  q.insert(with_deadline(n, 10));
  EXPECT_EQ(q.pop_due(at(9)), nullptr);
  EXPECT_TRUE(n.queued());
  EXPECT_EQ(q.pop_due(at(10)), &n);
  EXPECT_FALSE(n.queued());
  EXPECT_EQ(q.pop_due(at(1000)), nullptr);
}

TEST(timer_queue, cancelling_the_head_exposes_the_next_deadline) {
  timer_queue q;
  timer_node a, b, c;
  q.insert(with_deadline(a, 1));
  q.insert(with_deadline(b, 2));
  q.insert(with_deadline(c, 3));
  q.cancel(a);
  EXPECT_FALSE(a.queued());
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.next_deadline(), at(2));
  EXPECT_EQ(drain(q, at(10)), (std::vector<timer_node*>{&b, &c}));
}

TEST(timer_queue, cancelling_a_middle_node_keeps_the_others_in_order) {
  timer_queue q;
  std::vector<timer_node> nodes(7);
  for (int i = 0; i < 7; ++i) q.insert(with_deadline(nodes[i], 10 * (i + 1)));
  q.cancel(nodes[3]);
  q.cancel(nodes[1]);
  EXPECT_EQ(drain(q, at(1000)),
            (std::vector<timer_node*>{&nodes[0], &nodes[2], &nodes[4], &nodes[5], &nodes[6]}));
}

TEST(timer_queue, cancelling_the_tail_touches_nothing_else) {
  timer_queue q;
  timer_node a, b, newest;
  q.insert(with_deadline(a, 1));
  q.insert(with_deadline(b, 2));
  q.insert(with_deadline(newest, 50));
  q.cancel(newest);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(a.slot, 0u);
  EXPECT_EQ(b.slot, 1u);
  EXPECT_EQ(drain(q, at(100)), (std::vector<timer_node*>{&a, &b}));
}

TEST(timer_queue, cancelling_an_unqueued_or_already_cancelled_node_is_a_no_op) {
  timer_queue q;
  timer_node a, b;
  q.cancel(a);
  q.insert(with_deadline(a, 1));
  q.insert(with_deadline(b, 2));
  q.cancel(a);
  q.cancel(a);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.pop_due(at(5)), &b);
  q.cancel(b);  // already popped
  EXPECT_TRUE(q.empty());
}

TEST(timer_queue, a_popped_node_can_be_inserted_again_behind_equal_deadlines) {
  timer_queue q;
  timer_node a, b;
  q.insert(with_deadline(a, 5));
  q.insert(with_deadline(b, 5));
  ASSERT_EQ(q.pop_due(at(5)), &a);
  q.insert(with_deadline(a, 5));
  EXPECT_EQ(drain(q, at(5)), (std::vector<timer_node*>{&b, &a}));
}

TEST(timer_queue, ten_thousand_random_inserts_and_cancels_agree_with_a_multiset) {
  constexpr int n_nodes = 300, n_ops = 10'000;
  std::mt19937 rng(12345);
  std::vector<timer_node> nodes(n_nodes);
  timer_queue q;
  // The oracle orders by (deadline, insertion sequence), like the queue promises.
  using key = std::tuple<time_point, std::uint64_t, timer_node*>;
  std::multiset<key> oracle;
  std::uint64_t seq = 0;
  int now_ms = 0;
  std::size_t inserts = 0, cancels = 0, pops = 0;

  for (int op = 0; op < n_ops; ++op) {
    timer_node& n = nodes[rng() % n_nodes];
    switch (rng() % 8) {
      case 0: case 1: case 2: case 3:  // insert (a few distinct deadlines: many ties)
        if (!n.queued()) {
          q.insert(with_deadline(n, now_ms + static_cast<int>(rng() % 40)));
          ASSERT_EQ(n.seq, seq) << "insertion sequence";
          oracle.emplace(n.deadline, seq++, &n);
          ++inserts;
        }
        break;
      case 4: case 5: {  // cancel a queued node
        if (oracle.empty()) break;
        auto it = std::next(oracle.begin(), static_cast<long>(rng() % oracle.size()));
        timer_node* victim = std::get<2>(*it);
        oracle.erase(it);
        q.cancel(*victim);
        ASSERT_FALSE(victim->queued());
        ++cancels;
        break;
      }
      case 6:  // cancel any node, queued or not
        if (n.queued()) {
          oracle.erase(key{n.deadline, n.seq, &n});
          ++cancels;
        }
        q.cancel(n);
        ASSERT_FALSE(n.queued());
        break;
      case 7: {  // time passes; pop what is due
        now_ms += static_cast<int>(rng() % 5);
        while (timer_node* due = q.pop_due(at(now_ms))) {
          ASSERT_FALSE(oracle.empty());
          auto first = oracle.begin();
          ASSERT_EQ(due, std::get<2>(*first)) << "op " << op;
          ASSERT_LE(due->deadline, at(now_ms));
          oracle.erase(first);
          ++pops;
        }
        if (!oracle.empty()) {
          ASSERT_GT(std::get<0>(*oracle.begin()), at(now_ms));
        }
        break;
      }
    }
    ASSERT_EQ(q.size(), oracle.size()) << "op " << op;
    if (!oracle.empty()) {
      ASSERT_EQ(q.next_deadline(), std::get<0>(*oracle.begin())) << "op " << op;
    }
    // Every node knows whether it is queued.
    if (op % 1000 == 0) {
      std::size_t queued = 0;
      for (auto& x : nodes) queued += x.queued();
      ASSERT_EQ(queued, oracle.size());
    }
  }
  // Whatever is left drains in oracle order.
  for (const key& k : oracle) ASSERT_EQ(q.pop_due(time_point::max()), std::get<2>(k));
  EXPECT_TRUE(q.empty());
  EXPECT_GT(inserts, 3000u);
  EXPECT_GT(cancels, 1000u);
  EXPECT_GT(pops, 500u);
}

TEST(timer_queue, latest_due_by_finds_the_latest_deadline_within_the_bound) {
  std::vector<timer_node> nodes(200);
  std::mt19937 rng(7);
  timer_queue q;
  for (auto& n : nodes) q.insert(with_deadline(n, static_cast<int>(rng() % 1000)));
  for (int bound : {-5, 0, 1, 17, 250, 499, 999, 5000}) {
    time_point want = q.next_deadline();
    for (auto& n : nodes)
      if (n.deadline <= at(bound)) want = std::max(want, n.deadline);
    EXPECT_EQ(q.latest_due_by(at(bound)), want) << "bound " << bound;
  }
}

TEST(timer_queue, cancelling_timers_anywhere_in_the_heap_leaves_the_rest_firing_in_deadline_order) {
  // Deadlines in a scrambled order, then every third node cancelled (from the middle, leaves
  // and the root), interleaved with inserts of later and earlier deadlines.
  timer_queue q;
  std::vector<timer_node> nodes(300);
  for (std::size_t i = 0; i < 200; ++i) q.insert(with_deadline(nodes[i], static_cast<int>((i * 37) % 200)));
  std::vector<bool> cancelled(nodes.size(), false);
  for (std::size_t i = 0; i < 200; i += 3) {
    q.cancel(nodes[i]);
    cancelled[i] = true;
    EXPECT_FALSE(nodes[i].queued());
    const std::size_t extra = 200 + i / 3;
    q.insert(with_deadline(nodes[extra], static_cast<int>(i % 2 ? 500 + i : i / 2)));
  }
  const auto fired = drain(q, at(10'000));
  EXPECT_TRUE(q.empty());
  std::size_t expected = 0;
  for (std::size_t i = 0; i < 200 + 67; ++i) expected += cancelled[i] ? 0 : 1;
  ASSERT_EQ(fired.size(), expected);
  for (std::size_t k = 1; k < fired.size(); ++k) EXPECT_LE(fired[k - 1]->deadline, fired[k]->deadline) << k;
  for (timer_node* n : fired) EXPECT_FALSE(cancelled[static_cast<std::size_t>(n - nodes.data())]);
}
