#include "runtime/loop_metrics.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/to_thread.hpp"
#include "runtime/when_all.hpp"

using namespace barrage;

namespace {

task<void> block_the_loop(duration d) {
  co_await sleep_for(1ms);
  std::this_thread::sleep_for(d);  // the mistake the detector exists for
}

struct slow_step {
  std::string name;
  duration held;
};

}  // namespace

TEST(loop_metrics, a_step_that_blocks_50ms_is_a_slow_step_reported_with_the_tasks_name) {
  event_loop loop;
  std::vector<slow_step> seen;
  loop.set_slow_step_hook([&](const char* name, duration held) { seen.push_back({name, held}); });
  auto main = []() -> task<void> { co_await spawn(block_the_loop(50ms), "csv-export"); };
  loop.run(main());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].name, "csv-export");
  EXPECT_GE(seen[0].held, 45ms);  // the coarse clock ticks every few ms
  EXPECT_EQ(loop.metrics().snapshot().slow_steps, 1u);
}

TEST(loop_metrics, fast_steps_are_not_slow) {
  event_loop loop;
  int hooks = 0;
  loop.set_slow_step_hook([&](const char*, duration) { ++hooks; });
  auto main = []() -> task<void> {
    for (int i = 0; i < 200; ++i) co_await sleep_for(0ms);
  };
  loop.run(main());
  EXPECT_EQ(hooks, 0);
  EXPECT_EQ(loop.metrics().snapshot().slow_steps, 0u);
}

TEST(loop_metrics, a_slow_step_inside_a_combinator_carries_the_spawned_tasks_name) {
  event_loop loop;
  std::vector<std::string> names;
  loop.set_slow_step_hook([&](const char* name, duration) { names.emplace_back(name); });
  auto worker = []() -> task<void> { co_await when_all(block_the_loop(30ms), block_the_loop(0ms)); };
  auto main = [](auto& w) -> task<void> { co_await spawn(w(), "importer"); };
  loop.run(main(worker));
  EXPECT_EQ(names, std::vector<std::string>{"importer"});
}

TEST(loop_metrics, the_same_work_on_to_thread_is_not_a_slow_step) {
  (void)thread_pool::shared();  // its first use starts its threads: not what is measured here
  event_loop loop;
  int hooks = 0;
  loop.set_slow_step_hook([&](const char*, duration) { ++hooks; });
  auto main = []() -> task<void> {
    co_await to_thread([] { std::this_thread::sleep_for(50ms); });
  };
  loop.run(main());
  EXPECT_EQ(hooks, 0);
}

TEST(loop_metrics, the_lag_histogram_gets_samples) {
  event_loop::options o;
  o.lag_interval = 2ms;
  event_loop loop(o);
  auto main = []() -> task<void> {
    co_await sleep_for(30ms);
    std::this_thread::sleep_for(25ms);  // one late sample
    co_await sleep_for(10ms);
  };
  loop.run(main());
  auto s = loop.metrics().snapshot();
  EXPECT_GE(s.lag_count, 5u);
  EXPECT_EQ(std::accumulate(s.lag_buckets.begin(), s.lag_buckets.end(), std::uint64_t{0}), s.lag_count);
  EXPECT_GE(s.lag_max_s, 0.015);
  EXPECT_GE(s.lag_sum_s, s.lag_max_s);
}

TEST(loop_metrics, lag_goes_to_the_bucket_of_its_upper_bound) {
  loop_metrics m;
  m.record_lag(std::chrono::microseconds(50));   // <= 0.1 ms
  m.record_lag(std::chrono::microseconds(300));  // <= 0.5 ms
  m.record_lag(std::chrono::milliseconds(30));   // <= 50 ms
  m.record_lag(std::chrono::seconds(3));         // +Inf
  m.record_lag(-std::chrono::milliseconds(1));   // early counts as zero
  auto s = m.snapshot();
  EXPECT_EQ(s.lag_buckets[0], 2u);
  EXPECT_EQ(s.lag_buckets[1], 1u);
  EXPECT_EQ(s.lag_buckets[7], 1u);
  EXPECT_EQ(s.lag_buckets.back(), 1u);
  EXPECT_EQ(s.lag_count, 5u);
  EXPECT_NEAR(s.lag_max_s, 3.0, 1e-9);
}

TEST(loop_metrics, turns_and_busy_time_add_up) {
  event_loop loop;
  auto t0 = now();
  auto main = []() -> task<void> {
    for (int i = 0; i < 5; ++i) co_await sleep_for(2ms);
    std::this_thread::sleep_for(20ms);
    co_await sleep_for(2ms);  // busy time is booked when the loop next waits
  };
  loop.run(main());
  double wall = to_seconds(now() - t0);
  auto s = loop.metrics().snapshot();
  EXPECT_GE(s.turns, 5u);
  EXPECT_GE(s.busy_s, 0.015);  // the 20 ms of blocking (coarse clock)
  EXPECT_LE(s.busy_s, wall + 0.01) << "busy time cannot exceed the loop's life";
}

TEST(loop_metrics, can_be_read_from_another_thread_while_the_loop_runs) {
  event_loop loop;
  std::atomic<bool> stop{false};
  std::uint64_t last_turns = 0;
  std::thread reader([&] {
    while (!stop.load()) {
      auto s = loop.metrics().snapshot();
      EXPECT_GE(s.turns, last_turns);
      last_turns = s.turns;
    }
  });
  auto main = []() -> task<void> {
    for (int i = 0; i < 50; ++i) co_await sleep_for(0ms);
  };
  loop.run(main());
  stop.store(true);
  reader.join();
}
