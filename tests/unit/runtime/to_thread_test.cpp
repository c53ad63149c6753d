// Run these under ThreadSanitizer too (the tsan preset).
#include "runtime/to_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/when_all.hpp"

using namespace barrage;

TEST(to_thread, runs_on_another_thread_and_resumes_on_the_loops_thread) {
  auto main = []() -> task<void> {
    auto loop_thread = std::this_thread::get_id();
    auto worker_thread = co_await to_thread([] { return std::this_thread::get_id(); });
    EXPECT_NE(worker_thread, loop_thread);
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
  };
  sync_wait(main());
}

TEST(to_thread, returns_the_functions_value) {
  auto main = []() -> task<long> {
    co_return co_await to_thread([] {
      long s = 0;
      for (long i = 1; i <= 1000; ++i) s += i;
      return s;
    });
  };
  EXPECT_EQ(sync_wait(main()), 500500);
}

TEST(to_thread, void_functions_work) {
  auto main = []() -> task<int> {
    std::atomic<int> hits{0};
    co_await to_thread([&] { hits.fetch_add(1); });
    co_return hits.load();
  };
  EXPECT_EQ(sync_wait(main()), 1);
}

TEST(to_thread, exceptions_propagate_to_the_awaiting_task) {
  auto main = []() -> task<std::string> {
    try {
      co_await to_thread([]() -> int { throw std::runtime_error("from the pool"); });
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  EXPECT_EQ(sync_wait(main()), "from the pool");
}

TEST(to_thread, a_callable_that_owns_memory_is_moved_to_the_pool_and_destroyed_once) {
  auto main = []() -> task<std::size_t> {
    std::vector<int> data(1000, 1);
    std::string text = "short";  // SSO: a bitwise copy would be caught by ASan
    // Named before the co_await: GCC 12 destroys a capturing closure created inside a
    // co_await expression twice (a compiler bug, see docs/runtime.md).
    auto work = [d = std::move(data), t = std::move(text)] { return d.size() + t.size(); };
    co_return co_await to_thread(std::move(work));
  };
  EXPECT_EQ(sync_wait(main()), 1005u);
}

TEST(to_thread, blocking_calls_on_a_pool_run_in_parallel_while_the_loop_stays_free) {
  event_loop loop;
  thread_pool pool(4);  // declared after the loop: joined first, while the loop still lives
  auto main = [](thread_pool& pool) -> task<void> {
    auto blocking = [](thread_pool& pool) -> task<void> {
      co_await to_thread([] { std::this_thread::sleep_for(50ms); }, pool);
    };
    auto ticker = [](int& ticks) -> task<void> {
      for (int i = 0; i < 10; ++i) {
        co_await sleep_for(2ms);
        ++ticks;
      }
    };
    int ticks = 0;
    auto t0 = now();
    co_await when_all(blocking(pool), blocking(pool), blocking(pool), blocking(pool), ticker(ticks));
    auto took = now() - t0;
    EXPECT_LT(took, 180ms) << "four 50 ms calls in parallel";
    EXPECT_EQ(ticks, 10) << "the loop kept running";
  };
  loop.run(main(pool));
}

TEST(to_thread, cancelling_detaches_the_work_and_drops_its_result) {
  event_loop loop;
  thread_pool pool(1);  // after the loop: its destructor waits for the detached work
  std::atomic<bool> release{false}, finished{false};
  auto main = [](thread_pool& pool, std::atomic<bool>& release, std::atomic<bool>& finished) -> task<void> {
    auto waiter = [](thread_pool& pool, std::atomic<bool>& release, std::atomic<bool>& finished) -> task<int> {
      co_return co_await to_thread(
          [&] {
            while (!release.load()) std::this_thread::sleep_for(1ms);
            finished.store(true);
            return 42;
          },
          pool);
    };
    auto h = spawn(waiter(pool, release, finished));
    co_await sleep_for(2ms);
    auto t0 = now();
    h.cancel();
    EXPECT_THROW(co_await h, operation_cancelled);
    EXPECT_LT(now() - t0, 100ms) << "the task did not wait for the work";
    EXPECT_FALSE(finished.load()) << "the work runs on, detached";
    release.store(true);
    // Its completion reaches the loop and is dropped: nothing is resumed twice.
    while (!finished.load()) co_await sleep_for(1ms);
    co_await sleep_for(5ms);
  };
  loop.run(main(pool, release, finished));
  EXPECT_TRUE(finished.load());
}

TEST(to_thread, a_pending_cancellation_does_not_submit_the_work) {
  event_loop loop;
  thread_pool pool(1);
  std::atomic<int> ran{0};
  auto main = [](thread_pool& pool, std::atomic<int>& ran) -> task<void> {
    auto body = [](thread_pool& pool, std::atomic<int>& ran) -> task<void> {
      co_await to_thread([&] { ran.fetch_add(1); }, pool);
    };
    auto h = spawn(body(pool, ran));
    h.cancel();  // before it starts
    EXPECT_THROW(co_await h, operation_cancelled);
  };
  loop.run(main(pool, ran));
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(pool.pending(), 0u);
}

TEST(to_thread, a_hundred_calls_from_concurrent_tasks_all_complete) {
  event_loop loop;
  thread_pool pool(3);
  auto main = [](thread_pool& pool) -> task<long> {
    auto one = [](thread_pool& pool, int i) -> task<int> {
      int r = co_await to_thread([i] { return i * 2; }, pool);
      EXPECT_EQ(event_loop::current_or_null(), &event_loop::current());
      co_return r;
    };
    std::vector<task<int>> ts;
    for (int i = 0; i < 100; ++i) ts.push_back(one(pool, i));
    auto v = co_await when_all(std::move(ts));
    long sum = 0;
    for (int x : v) sum += x;
    co_return sum;
  };
  EXPECT_EQ(loop.run(main(pool)), 2 * 99 * 100 / 2);
}

TEST(to_thread, the_shared_pool_has_at_least_four_threads) { EXPECT_GE(thread_pool::shared().size(), 4u); }
