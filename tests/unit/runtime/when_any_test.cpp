#include "runtime/when_any.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/sleep.hpp"
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

TEST(when_any, the_first_to_finish_wins_with_its_index_and_value) {
  auto main = []() -> task<void> {
    std::vector<ending> how(3);
    std::vector<task<int>> ts;
    ts.push_back(value_after(1h, 10, how[0]));
    ts.push_back(value_after(5ms, 11, how[1]));
    ts.push_back(value_after(2h, 12, how[2]));
    auto t0 = now();
    auto r = co_await when_any(std::move(ts));
    EXPECT_LT(now() - t0, 1s);
    EXPECT_EQ(r.index, 1u);
    EXPECT_EQ(r.value, 11);
    EXPECT_EQ(how, (std::vector<ending>{ending::cancelled, ending::value, ending::cancelled}))
        << "the losers were cancelled and had finished before when_any returned";
  };
  sync_wait(main());
}

TEST(when_any, the_variadic_form_returns_a_variant_at_the_winners_index) {
  auto main = []() -> task<void> {
    ending a{}, b{};
    auto word = [](ending& how) -> task<std::string> {
      co_await sleep_for(2ms);
      how = ending::value;
      co_return "word";
    };
    auto r = co_await when_any(value_after(1h, 1, a), word(b));
    EXPECT_EQ(r.index(), 1u);
    if (r.index() == 1) {
      EXPECT_EQ(std::get<1>(r), "word");
    }
    EXPECT_EQ(a, ending::cancelled);
  };
  sync_wait(main());
}

TEST(when_any, losers_that_ignore_cancellation_are_still_awaited) {
  auto main = []() -> task<void> {
    bool loser_finished = false;
    auto stubborn = [](bool& finished) -> task<int> {
      try {
        co_await sleep_for(1h);
      } catch (const operation_cancelled&) {
      }
      co_await sleep_for(20ms);  // cleanup that takes a while
      finished = true;
      co_return 0;
    };
    ending how{};
    auto t0 = now();
    auto r = co_await when_any(value_after(1ms, 7, how), stubborn(loser_finished));
    EXPECT_EQ(std::get<0>(r), 7);
    EXPECT_TRUE(loser_finished);
    EXPECT_GE(now() - t0, 20ms);
  };
  sync_wait(main());
}

TEST(when_any, the_winners_exception_is_rethrown) {
  auto main = []() -> task<std::string> {
    ending how{};
    auto failing = []() -> task<int> {
      co_await sleep_for(1ms);
      throw std::runtime_error("winner failed");
    };
    std::vector<task<int>> ts;
    ts.push_back(value_after(1h, 1, how));
    ts.push_back(failing());
    try {
      co_await when_any(std::move(ts));
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(how, ending::cancelled);
      co_return e.what();
    }
    co_return "none";
  };
  EXPECT_EQ(sync_wait(main()), "winner failed");
}

TEST(when_any, a_task_that_finishes_without_suspending_wins_and_the_rest_never_wait) {
  auto main = []() -> task<void> {
    auto at_once = []() -> task<int> { co_return 99; };
    ending how{};
    auto t0 = now();
    auto r = co_await when_any(at_once(), value_after(1h, 1, how));
    EXPECT_EQ(r.index(), 0u);
    EXPECT_EQ(std::get<0>(r), 99);
    EXPECT_EQ(how, ending::cancelled);
    EXPECT_LT(now() - t0, 1s);
  };
  sync_wait(main());
}

TEST(when_any, an_empty_range_is_an_error) {
  auto main = []() -> task<void> { co_await when_any(std::vector<task<int>>{}); };
  EXPECT_THROW(sync_wait(main()), std::invalid_argument);
}

TEST(when_any, cancelling_the_awaiting_task_cancels_every_branch) {
  auto main = []() -> task<void> {
    std::vector<ending> how(2);
    auto racer = [](std::vector<ending>& how) -> task<void> {
      co_await when_any(value_after(1h, 1, how[0]), value_after(1h, 2, how[1]));
    };
    auto h = spawn(racer(how));
    co_await sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, operation_cancelled);
    EXPECT_EQ(how, (std::vector<ending>(2, ending::cancelled)));
  };
  sync_wait(main());
}
