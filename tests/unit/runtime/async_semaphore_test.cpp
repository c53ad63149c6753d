#include "runtime/async_semaphore.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/when_all.hpp"

using namespace barrage;

namespace {

task<void> acquire_and_log(async_semaphore& sem, int id, std::vector<int>& log) {
  co_await sem.acquire();
  log.push_back(id);
  co_await sleep_for(1ms);
  sem.release();
}

}  // namespace

TEST(async_semaphore, acquiring_within_the_permits_does_not_suspend) {
  auto main = []() -> task<std::size_t> {
    async_semaphore sem(2);
    auto turns = event_loop::current().metrics().snapshot().turns;
    co_await sem.acquire();
    co_await sem.acquire();
    EXPECT_EQ(event_loop::current().metrics().snapshot().turns, turns);
    co_return sem.available();
  };
  EXPECT_EQ(sync_wait(main()), 0u);
}

TEST(async_semaphore, waiters_acquire_in_arrival_order) {
  auto main = []() -> task<std::vector<int>> {
    async_semaphore sem(1);
    std::vector<int> log;
    co_await sem.acquire();  // hold the only permit while everyone queues
    std::vector<join_handle<void>> hs;
    for (int i = 0; i < 20; ++i) {
      hs.push_back(spawn(acquire_and_log(sem, i, log)));
      co_await yield_now{};  // arrival order = i
    }
    sem.release();
    for (auto& h : hs) co_await h;
    EXPECT_EQ(sem.available(), 1u);
    co_return log;
  };
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  EXPECT_EQ(sync_wait(main()), expected);
}

TEST(async_semaphore, a_released_permit_goes_to_the_oldest_waiter_not_to_a_newcomer) {
  auto main = []() -> task<std::vector<int>> {
    async_semaphore sem(1);
    std::vector<int> log;
    co_await sem.acquire();
    auto waiter = spawn(acquire_and_log(sem, 1, log));
    co_await yield_now{};
    sem.release();
    EXPECT_FALSE(sem.try_acquire()) << "the permit is promised to the waiter";
    auto newcomer = spawn(acquire_and_log(sem, 2, log));
    co_await waiter;
    co_await newcomer;
    co_return log;
  };
  EXPECT_EQ(sync_wait(main()), (std::vector<int>{1, 2}));
}

TEST(async_semaphore, a_cancelled_waiter_is_skipped_and_does_not_lose_a_permit) {
  auto main = []() -> task<std::vector<int>> {
    async_semaphore sem(1);
    std::vector<int> log;
    co_await sem.acquire();
    auto first = spawn(acquire_and_log(sem, 1, log));
    co_await yield_now{};
    auto second = spawn(acquire_and_log(sem, 2, log));
    co_await yield_now{};
    auto third = spawn(acquire_and_log(sem, 3, log));
    co_await yield_now{};
    second.cancel();
    EXPECT_THROW(co_await second, operation_cancelled);
    sem.release();
    co_await first;
    co_await third;
    EXPECT_EQ(sem.available(), 1u);
    co_return log;
  };
  EXPECT_EQ(sync_wait(main()), (std::vector<int>{1, 3}));
}

TEST(async_semaphore, a_waiter_cancelled_after_it_was_handed_the_permit_keeps_it) {
  auto main = []() -> task<void> {
    async_semaphore sem(1);
    co_await sem.acquire();
    auto holder = [](async_semaphore& s) -> task<bool> {
      co_await s.acquire();  // handed the permit...
      bool cancelled = false;
      try {
        co_await sleep_for(1ms);  // ...and the stop request lands here
      } catch (const operation_cancelled&) {
        cancelled = true;
      }
      s.release();
      co_return cancelled;
    };
    auto h = spawn(holder(sem));
    co_await yield_now{};
    sem.release();  // wakes the holder
    h.cancel();     // before it ran
    EXPECT_TRUE(co_await h);
    EXPECT_EQ(sem.available(), 1u);
  };
  sync_wait(main());
}

TEST(async_semaphore, it_bounds_how_many_tasks_run_at_once) {
  auto main = []() -> task<int> {
    async_semaphore sem(3);
    int running = 0, peak = 0;
    auto worker = [](async_semaphore& s, int& running, int& peak) -> task<void> {
      auto g = co_await s.scoped();
      ++running;
      peak = std::max(peak, running);
      co_await sleep_for(1ms);
      --running;
    };
    std::vector<task<void>> ts;
    for (int i = 0; i < 30; ++i) ts.push_back(worker(sem, running, peak));
    co_await when_all(std::move(ts));
    EXPECT_EQ(sem.available(), 3u);
    co_return peak;
  };
  EXPECT_EQ(sync_wait(main()), 3);
}

TEST(async_semaphore, try_acquire_takes_a_free_permit_and_fails_without_one) {
  async_semaphore sem(1);
  EXPECT_TRUE(sem.try_acquire());
  EXPECT_FALSE(sem.try_acquire());
  event_loop loop;  // release() with no waiter needs no loop, but wake-ups do
  sem.release();
  EXPECT_EQ(sem.available(), 1u);
}
