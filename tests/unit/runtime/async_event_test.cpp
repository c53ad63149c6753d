#include "runtime/async_event.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"

using namespace barrage;

namespace {

task<void> wait_and_log(async_event& ev, int id, std::vector<int>& log) {
  co_await ev.wait();
  log.push_back(id);
}

}  // namespace

TEST(async_event, set_wakes_every_waiter_in_arrival_order) {
  auto main = []() -> task<std::vector<int>> {
    async_event ev;
    std::vector<int> log;
    std::vector<join_handle<void>> hs;
    for (int i = 0; i < 10; ++i) hs.push_back(spawn(wait_and_log(ev, i, log)));
    co_await sleep_for(2ms);
    EXPECT_TRUE(log.empty());
    ev.set();
    for (auto& h : hs) co_await h;
    co_return log;
  };
  EXPECT_EQ(sync_wait(main()), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(async_event, waiting_on_a_set_event_does_not_suspend) {
  auto main = []() -> task<bool> {
    async_event ev;
    ev.set();
    auto turns = event_loop::current().metrics().snapshot().turns;
    co_await ev.wait();
    co_await ev.wait();
    co_return event_loop::current().metrics().snapshot().turns == turns;
  };
  EXPECT_TRUE(sync_wait(main()));
}

TEST(async_event, clear_makes_later_waits_block_again) {
  auto main = []() -> task<void> {
    async_event ev;
    std::vector<int> log;
    ev.set();
    ev.clear();
    EXPECT_FALSE(ev.is_set());
    auto h = spawn(wait_and_log(ev, 1, log));
    co_await sleep_for(2ms);
    EXPECT_TRUE(log.empty());
    ev.set();
    co_await h;
    EXPECT_EQ(log, std::vector<int>{1});
  };
  sync_wait(main());
}

TEST(async_event, a_cancelled_waiter_leaves_and_the_others_are_still_woken) {
  auto main = []() -> task<std::vector<int>> {
    async_event ev;
    std::vector<int> log;
    auto a = spawn(wait_and_log(ev, 1, log));
    auto b = spawn(wait_and_log(ev, 2, log));
    auto c = spawn(wait_and_log(ev, 3, log));
    co_await yield_now{};
    b.cancel();
    EXPECT_THROW(co_await b, operation_cancelled);
    ev.set();
    co_await a;
    co_await c;
    co_return log;
  };
  EXPECT_EQ(sync_wait(main()), (std::vector<int>{1, 3}));
}
