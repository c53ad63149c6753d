#include "runtime/with_timeout.hpp"

#include <gtest/gtest.h>

#include <string>

#include "runtime/spawn.hpp"

using namespace barrage;

namespace {

enum class ending { running, value, cancelled };

task<int> value_after(duration d, int v, ending& how) {
  how = ending::running;
  try {
    co_await sleep_for(d);
  } catch (const operation_cancelled&) {
    how = ending::cancelled;
    throw;
  }
  how = ending::value;
  co_return v;
}

}  // namespace

TEST(with_timeout, returns_the_value_when_the_task_is_fast) {
  auto main = []() -> task<void> {
    ending how{};
    auto r = co_await with_timeout(1s, value_after(2ms, 5, how));
    EXPECT_TRUE(r.ok());
    if (r) {
      EXPECT_EQ(*r, 5);
    }
    EXPECT_EQ(how, ending::value);
  };
  sync_wait(main());
}

TEST(with_timeout, gives_timed_out_when_slow_after_the_inner_task_was_cancelled_and_finished) {
  auto main = []() -> task<void> {
    ending how{};
    auto t0 = now();
    auto r = co_await with_timeout(10ms, value_after(1h, 5, how));
    auto took = now() - t0;
    EXPECT_FALSE(r.ok());
    if (!r) {
      EXPECT_EQ(r.error(), std::errc::timed_out);
    }
    EXPECT_EQ(how, ending::cancelled) << "the inner task finished before with_timeout returned";
    EXPECT_GE(took, 9ms);
    EXPECT_LT(took, 500ms);
  };
  sync_wait(main());
}

TEST(with_timeout, waits_for_an_inner_task_that_takes_time_to_wind_down) {
  auto main = []() -> task<void> {
    bool cleaned_up = false;
    auto slow_cleanup = [](bool& done) -> task<int> {
      try {
        co_await sleep_for(1h);
      } catch (const operation_cancelled&) {
      }
      co_await sleep_for(20ms);
      done = true;
      co_return 1;
    };
    auto t0 = now();
    auto r = co_await with_timeout(5ms, slow_cleanup(cleaned_up));
    // The timer won the race, so the answer is timed_out even though the inner task
    // returned a value on its way out.
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(cleaned_up);
    EXPECT_GE(now() - t0, 24ms);
  };
  sync_wait(main());
}

TEST(with_timeout, works_over_a_bare_sleep_awaitable) {
  auto main = []() -> task<void> {
    auto slow = co_await with_timeout(5ms, sleep_for(1h));
    EXPECT_FALSE(slow.ok());
    if (!slow) {
      EXPECT_EQ(slow.error(), std::errc::timed_out);
    }
    auto fast = co_await with_timeout(1s, sleep_for(1ms));
    EXPECT_TRUE(fast.ok());
  };
  auto t0 = now();
  sync_wait(main());
  EXPECT_LT(now() - t0, 1s);
}

TEST(with_timeout, works_over_a_void_task) {
  auto main = []() -> task<void> {
    int done = 0;
    auto work = [](int& d) -> task<void> {
      co_await sleep_for(1ms);
      ++d;
    };
    auto r = co_await with_timeout(1s, work(done));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(done, 1);
  };
  sync_wait(main());
}

TEST(with_timeout, over_a_join_handle_stops_waiting_but_leaves_the_task_running) {
  auto main = []() -> task<void> {
    ending how{};
    auto h = spawn(value_after(30ms, 8, how));
    auto r = co_await with_timeout(5ms, std::move(h));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(how, ending::running);
    co_await sleep_for(40ms);
    EXPECT_EQ(how, ending::value);  // detached when the handle went with the wrapper
  };
  sync_wait(main());
}

TEST(with_timeout, an_inner_exception_propagates) {
  auto main = []() -> task<std::string> {
    auto failing = []() -> task<int> {
      co_await sleep_for(1ms);
      throw std::runtime_error("inner");
    };
    try {
      (void)co_await with_timeout(1s, failing());
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  EXPECT_EQ(sync_wait(main()), "inner");
}

TEST(with_timeout, cancelling_the_caller_gives_operation_cancelled_not_timed_out) {
  auto main = []() -> task<void> {
    ending how{};
    auto caller = [](ending& how) -> task<bool> {
      auto r = co_await with_timeout(1h, value_after(1h, 1, how));
      co_return r.ok();
    };
    auto h = spawn(caller(how));
    co_await sleep_for(2ms);
    h.cancel();
    EXPECT_THROW(co_await h, operation_cancelled);
    EXPECT_EQ(how, ending::cancelled);
  };
  sync_wait(main());
}
