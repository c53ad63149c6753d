#include "runtime/spawn.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "counting_allocator.hpp"

#include "runtime/sleep.hpp"

using namespace barrage;

namespace {

event_loop::options quiet() {
  event_loop::options o;
  o.monitor_lag = false;
  return o;
}

task<int> value_after(duration d, int v) {
  co_await sleep_for(d);
  co_return v;
}

task<void> fail_after(duration d, std::string msg) {
  co_await sleep_for(d);
  throw std::runtime_error(msg);
}

task<void> set_flag(bool& flag) {
  flag = true;
  co_return;
}

/// Holds a shared_ptr in its frame until it is destroyed.
task<void> hold_forever(std::shared_ptr<int> p, bool& reached) {
  reached = true;
  co_await sleep_for(1h);
  (void)p;
}

}  // namespace

TEST(spawn, the_task_starts_on_the_next_turn_not_at_spawn) {
  event_loop loop(quiet());
  bool ran = false;
  auto h = spawn(loop, set_flag(ran));
  EXPECT_FALSE(ran);
  EXPECT_FALSE(h.done());
  EXPECT_EQ(loop.live_tasks(), 1u);
  loop.run_once(0ms);
  EXPECT_TRUE(ran);
  EXPECT_TRUE(h.done());
}

TEST(spawn, the_spawning_task_runs_on_until_it_suspends) {
  auto main = []() -> task<std::vector<std::string>> {
    std::vector<std::string> log;
    auto child = [](std::vector<std::string>& l) -> task<void> {
      l.push_back("child");
      co_return;
    };
    auto h = spawn(child(log));
    log.push_back("parent before await");
    co_await h;
    log.push_back("parent after await");
    co_return log;
  };
  EXPECT_EQ(sync_wait(main()), (std::vector<std::string>{"parent before await", "child", "parent after await"}));
}

TEST(spawn, join_returns_the_value) {
  auto main = []() -> task<int> {
    auto a = spawn(value_after(5ms, 1));
    auto b = spawn(value_after(1ms, 2));
    co_return co_await a * 10 + co_await b;
  };
  EXPECT_EQ(sync_wait(main()), 12);
}

TEST(spawn, join_of_a_task_that_already_finished_returns_at_once) {
  auto main = []() -> task<int> {
    auto h = spawn(value_after(0ms, 5));
    co_await sleep_for(5ms);
    EXPECT_TRUE(h.done());
    co_return co_await h;
  };
  EXPECT_EQ(sync_wait(main()), 5);
}

TEST(spawn, join_rethrows_the_tasks_exception) {
  auto main = []() -> task<std::string> {
    auto h = spawn(fail_after(1ms, "boom"));
    try {
      co_await h;
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(sync_wait(main()), "boom");
}

TEST(spawn, a_detached_task_runs_to_completion) {
  auto main = []() -> task<int> {
    auto counter = std::make_shared<int>(0);
    auto bump = [](std::shared_ptr<int> c) -> task<void> {
      co_await sleep_for(1ms);
      ++*c;
    };
    for (int i = 0; i < 10; ++i) spawn(bump(counter)).detach();
    while (counter.use_count() > 1) co_await sleep_for(1ms);
    co_return *counter;
  };
  EXPECT_EQ(sync_wait(main()), 10);
}

TEST(spawn, an_exception_nobody_joins_goes_to_the_loops_handler_with_the_task_name) {
  event_loop loop;
  std::vector<std::string> seen;
  loop.set_exception_handler([&](std::exception_ptr e, const char* name) {
    try {
      std::rethrow_exception(e);
    } catch (const std::runtime_error& err) {
      seen.push_back(std::string(name) + ": " + err.what());
    }
  });
  auto main = []() -> task<int> {
    spawn(fail_after(1ms, "detached"), "worker-1").detach();
    { auto dropped = spawn(fail_after(1ms, "dropped"), "worker-2"); }  // handle dropped: detaches
    auto kept = spawn(fail_after(1ms, "kept but not joined"), "worker-3");
    co_await sleep_for(10ms);
    co_return 3;
  };
  EXPECT_EQ(loop.run(main()), 3);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "worker-1: detached");
  EXPECT_EQ(seen[1], "worker-2: dropped");
  EXPECT_EQ(seen[2], "worker-3: kept but not joined");  // reported when its handle went
  EXPECT_EQ(loop.metrics().snapshot().unhandled_exceptions, 3u);
}

TEST(spawn, an_exception_nobody_joins_is_rethrown_by_run_without_a_handler) {
  auto main = []() -> task<int> {
    spawn(fail_after(1ms, "lost")).detach();
    co_await sleep_for(5ms);
    co_return 1;
  };
  try {
    sync_wait(main());
    FAIL() << "run should rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "lost");
  }
}

TEST(spawn, a_joined_exception_is_not_reported_again) {
  event_loop loop;
  int reported = 0;
  loop.set_exception_handler([&](std::exception_ptr, const char*) { ++reported; });
  auto main = []() -> task<void> {
    auto h = spawn(fail_after(1ms, "x"));
    try {
      co_await h;
    } catch (const std::runtime_error&) {
    }
  };
  loop.run(main());
  EXPECT_EQ(reported, 0);
}

TEST(spawn, cancel_through_the_handle_makes_join_rethrow_operation_cancelled) {
  auto main = []() -> task<bool> {
    auto h = spawn(value_after(1h, 0));
    co_await sleep_for(1ms);
    h.cancel();
    try {
      co_await h;
    } catch (const operation_cancelled&) {
      co_return true;
    }
    co_return false;
  };
  auto t0 = now();
  EXPECT_TRUE(sync_wait(main()));
  EXPECT_LT(now() - t0, 1s);
}

TEST(spawn, cancelling_the_joiner_stops_the_wait_but_not_the_task) {
  auto main = []() -> task<int> {
    auto child = spawn(value_after(20ms, 9));
    auto waiter = [](join_handle<int>& h) -> task<bool> {
      try {
        co_await h;
      } catch (const operation_cancelled&) {
        co_return true;
      }
      co_return false;
    };
    auto w = spawn(waiter(child));
    co_await sleep_for(2ms);
    w.cancel();
    EXPECT_TRUE(co_await w);
    EXPECT_FALSE(child.done());
    co_return co_await child;
  };
  EXPECT_EQ(sync_wait(main()), 9);
}

TEST(spawn, a_moved_handle_still_joins) {
  auto main = []() -> task<int> {
    auto h = spawn(value_after(1ms, 4));
    join_handle<int> moved = std::move(h);
    EXPECT_TRUE(h.done());  // empty
    co_return co_await moved;
  };
  EXPECT_EQ(sync_wait(main()), 4);
}

TEST(spawn, loop_destruction_destroys_unfinished_tasks_and_what_they_hold) {
  auto held = std::make_shared<int>(1);
  bool reached = false;
  join_handle<void> outlives;
  {
    event_loop loop(quiet());
    outlives = spawn(loop, hold_forever(held, reached));
    spawn(loop, hold_forever(held, reached)).detach();
    spawn(loop, hold_forever(held, reached), "never started").detach();
    loop.run_once(0ms);
    EXPECT_TRUE(reached);
    EXPECT_EQ(loop.live_tasks(), 3u);
    EXPECT_EQ(held.use_count(), 4);
  }  // frames destroyed here, timers with them (ASan checks the rest)
  EXPECT_EQ(held.use_count(), 1);
  EXPECT_TRUE(outlives.done());
  EXPECT_THROW(outlives.take(), operation_cancelled);
}

TEST(spawn, the_loop_counts_spawned_and_active_tasks) {
  event_loop loop(quiet());
  bool f1 = false, f2 = false;
  auto a = spawn(loop, set_flag(f1));
  auto b = spawn(loop, set_flag(f2));
  auto s = loop.metrics().snapshot();
  EXPECT_EQ(s.tasks_spawned, 2u);
  EXPECT_EQ(s.tasks_active, 2u);
  loop.run_once(0ms);
  s = loop.metrics().snapshot();
  EXPECT_EQ(s.tasks_spawned, 2u);
  EXPECT_EQ(s.tasks_active, 0u);
  EXPECT_EQ(loop.live_tasks(), 0u);
}

namespace {
task<int> return_holding(std::shared_ptr<int> p) {
  co_return *p;
}
task<void> hold_handle(join_handle<void> other) {
  co_await sleep_for(1h);
  (void)other;
}
}  // namespace

TEST(spawn, a_finished_tasks_frame_lives_until_its_handle_lets_go) {
  event_loop loop(quiet());
  auto held = std::make_shared<int>(7);
  auto h = spawn(loop, return_holding(held));
  loop.run_once(0ms);
  ASSERT_TRUE(h.done());
  EXPECT_EQ(held.use_count(), 2) << "the frame (and its copy of the argument) is kept for take()";
  EXPECT_EQ(h.take(), 7);
  h.detach();
  EXPECT_EQ(held.use_count(), 1);
}

TEST(spawn, a_detached_task_frees_its_frame_as_soon_as_it_finishes) {
  event_loop loop(quiet());
  auto held = std::make_shared<int>(7);
  spawn(loop, return_holding(held)).detach();
  EXPECT_EQ(held.use_count(), 2);
  loop.run_once(0ms);
  EXPECT_EQ(held.use_count(), 1);
  EXPECT_EQ(loop.live_tasks(), 0u);
}

// A task's frame may own the join_handle of another; whichever of the two the loop destroys
// first, both go exactly once (ASan and LSan check the frees).
TEST(spawn, a_loop_destroys_a_task_holding_the_handle_of_one_spawned_before_it) {
  auto held = std::make_shared<int>(1);
  bool reached = false;
  {
    event_loop loop(quiet());
    auto inner = spawn(loop, hold_forever(held, reached));
    spawn(loop, hold_handle(std::move(inner))).detach();
    loop.run_once(0ms);
  }
  EXPECT_EQ(held.use_count(), 1);
}

TEST(spawn, a_loop_destroys_a_task_holding_the_handle_of_one_spawned_after_it) {
  auto held = std::make_shared<int>(1);
  bool reached = false;
  {
    event_loop loop(quiet());
    join_handle<void> slot;
    auto outer = spawn(loop, [](join_handle<void>& s) -> task<void> {
      co_await sleep_for(1h);
      (void)s;
    }(slot));
    slot = spawn(loop, hold_forever(held, reached));
    auto keeper = spawn(loop, hold_handle(std::move(slot)));
    keeper.detach();
    outer.detach();
    loop.run_once(0ms);
  }
  EXPECT_EQ(held.use_count(), 1);
}

TEST(spawn, a_spawned_task_costs_its_frame_and_one_small_root) {
  static_assert(sizeof(detail::task_root) <= 72, "a million suspended tasks pay for each byte");
  std::uint64_t allocations = 0;
  std::thread([&] {  // a fresh thread: no recycled frames to hide allocations
    event_loop loop(quiet());
    auto held = std::make_shared<int>(1);
    test::allocation_counter counter;
    spawn(loop, return_holding(held)).detach();
    loop.run_once(0ms);
    allocations = counter.count();
  }).join();
  EXPECT_EQ(allocations, 2u) << "the task's frame and its task_root; no wrapper coroutine";
}
