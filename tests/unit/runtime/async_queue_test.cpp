#include "runtime/async_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/when_all.hpp"

using namespace barrage;

TEST(async_queue, items_come_out_in_the_order_they_went_in) {
  auto main = []() -> task<std::vector<int>> {
    async_queue<int> q(4);
    auto producer = [](async_queue<int>& q) -> task<void> {
      for (int i = 0; i < 100; ++i) co_await q.push(i);
    };
    auto h = spawn(producer(q));
    std::vector<int> got;
    for (int i = 0; i < 100; ++i) got.push_back(co_await q.pop());
    co_await h;
    co_return got;
  };
  std::vector<int> expected;
  for (int i = 0; i < 100; ++i) expected.push_back(i);
  EXPECT_EQ(sync_wait(main()), expected);
}

TEST(async_queue, a_producer_blocks_when_full_and_resumes_when_a_consumer_pops) {
  auto main = []() -> task<void> {
    async_queue<int> q(2);
    int pushed = 0;
    auto producer = [](async_queue<int>& q, int& pushed) -> task<void> {
      for (int i = 0; i < 3; ++i) {
        co_await q.push(i);
        ++pushed;
      }
    };
    auto h = spawn(producer(q, pushed));
    co_await sleep_for(5ms);
    EXPECT_EQ(pushed, 2) << "the third push waits for room";
    EXPECT_EQ(q.size(), 2u);
    EXPECT_FALSE(h.done());
    EXPECT_EQ(co_await q.pop(), 0);
    co_await yield_now{};
    co_await yield_now{};
    EXPECT_EQ(pushed, 3);
    EXPECT_TRUE(h.done());
    EXPECT_EQ(co_await q.pop(), 1);
    EXPECT_EQ(co_await q.pop(), 2);
  };
  sync_wait(main());
}

TEST(async_queue, a_consumer_blocks_when_empty_and_resumes_on_push) {
  auto main = []() -> task<void> {
    async_queue<std::string> q(1);
    auto consumer = [](async_queue<std::string>& q) -> task<std::string> { co_return co_await q.pop(); };
    auto h = spawn(consumer(q));
    co_await sleep_for(2ms);
    EXPECT_FALSE(h.done());
    co_await q.push("hello");
    EXPECT_EQ(co_await h, "hello");
  };
  sync_wait(main());
}

TEST(async_queue, try_push_and_try_pop_never_wait) {
  event_loop loop;
  async_queue<int> q(2);
  EXPECT_TRUE(q.try_push(1));
  EXPECT_TRUE(q.try_push(2));
  EXPECT_FALSE(q.try_push(3));
  EXPECT_EQ(q.try_pop(), 1);
  EXPECT_EQ(q.try_pop(), 2);
  EXPECT_EQ(q.try_pop(), std::nullopt);
}

TEST(async_queue, a_capacity_of_zero_means_one) {
  async_queue<int> q(0);
  EXPECT_EQ(q.capacity(), 1u);
}

TEST(async_queue, a_cancelled_consumer_does_not_lose_an_item) {
  auto main = []() -> task<void> {
    async_queue<int> q(4);
    auto consumer = [](async_queue<int>& q) -> task<int> { co_return co_await q.pop(); };
    auto a = spawn(consumer(q));
    auto b = spawn(consumer(q));
    co_await yield_now{};
    a.cancel();
    EXPECT_THROW(co_await a, operation_cancelled);
    co_await q.push(7);
    EXPECT_EQ(co_await b, 7);
    EXPECT_EQ(q.size(), 0u);
  };
  sync_wait(main());
}

TEST(async_queue, many_producers_and_consumers_deliver_every_item_exactly_once) {
  auto main = []() -> task<std::vector<int>> {
    async_queue<int> q(3);
    std::vector<int> seen(400, 0);
    auto producer = [](async_queue<int>& q, int base) -> task<void> {
      for (int i = 0; i < 100; ++i) {
        co_await q.push(base + i);
        if (i % 7 == 0) co_await sleep_for(0ms);
      }
    };
    auto consumer = [](async_queue<int>& q, std::vector<int>& seen, int n) -> task<void> {
      int last_from[4] = {-1, -1, -1, -1};
      for (int i = 0; i < n; ++i) {
        int v = co_await q.pop();
        ++seen[v];
        EXPECT_GT(v, last_from[v / 100]) << "one producer's items stay in order";
        last_from[v / 100] = v;
      }
    };
    std::vector<task<void>> ts;
    for (int p = 0; p < 4; ++p) ts.push_back(producer(q, p * 100));
    ts.push_back(consumer(q, seen, 200));
    ts.push_back(consumer(q, seen, 150));
    ts.push_back(consumer(q, seen, 50));
    co_await when_all(std::move(ts));
    co_return seen;
  };
  EXPECT_EQ(sync_wait(main()), std::vector<int>(400, 1));
}

TEST(async_queue, move_only_items_pass_through) {
  auto main = []() -> task<int> {
    async_queue<std::unique_ptr<int>> q(1);
    co_await q.push(std::make_unique<int>(5));
    auto p = co_await q.pop();
    co_return *p;
  };
  EXPECT_EQ(sync_wait(main()), 5);
}
