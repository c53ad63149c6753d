#include "runtime/when_all.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"

using namespace barrage;

namespace {

task<int> value_after(duration d, int v, std::vector<int>* finished = nullptr) {
  co_await sleep_for(d);
  if (finished) finished->push_back(v);
  co_return v;
}

task<int> fail_after(duration d, std::string msg, std::vector<int>* finished = nullptr, int id = -1) {
  co_await sleep_for(d);
  if (finished) finished->push_back(id);
  throw std::runtime_error(msg);
}

task<void> nothing_after(duration d, int& count) {
  co_await sleep_for(d);
  ++count;
}

}  // namespace

TEST(when_all, variadic_results_come_in_input_order_whatever_the_completion_order) {
  auto main = []() -> task<void> {
    std::vector<int> finished;
    auto text = [](std::vector<int>& f) -> task<std::string> {
      co_await sleep_for(10ms);
      f.push_back(2);
      co_return "two";
    };
    auto [a, b, c] = co_await when_all(value_after(30ms, 1, &finished), text(finished), value_after(1ms, 3, &finished));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, "two");
    EXPECT_EQ(c, 3);
    EXPECT_EQ(finished, (std::vector<int>{3, 2, 1}));
  };
  sync_wait(main());
}

TEST(when_all, range_results_come_in_input_order_whatever_the_completion_order) {
  auto main = []() -> task<void> {
    std::vector<int> finished;
    std::vector<task<int>> ts;
    for (int i = 0; i < 10; ++i) ts.push_back(value_after(std::chrono::milliseconds(20 - 2 * i), i, &finished));
    auto values = co_await when_all(std::move(ts));
    EXPECT_EQ(values, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(finished, (std::vector<int>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  };
  sync_wait(main());
}

TEST(when_all, the_tasks_run_concurrently) {
  auto main = []() -> task<duration> {
    auto t0 = now();
    co_await when_all(value_after(50ms, 1), value_after(50ms, 2), value_after(50ms, 3));
    co_return now() - t0;
  };
  duration took = sync_wait(main());
  EXPECT_GE(took, 49ms);
  EXPECT_LT(took, 140ms);
}

TEST(when_all, void_tasks_give_monostate_in_the_tuple_and_nothing_for_a_range) {
  auto main = []() -> task<int> {
    int count = 0;
    auto [x, y] = co_await when_all(nothing_after(1ms, count), value_after(1ms, 5));
    static_assert(std::is_same_v<decltype(x), std::monostate>);
    EXPECT_EQ(y, 5);
    std::vector<task<void>> ts;
    for (int i = 0; i < 5; ++i) ts.push_back(nothing_after(1ms, count));
    co_await when_all(std::move(ts));
    co_return count;
  };
  EXPECT_EQ(sync_wait(main()), 6);
}

TEST(when_all, the_first_exception_in_completion_order_propagates_after_all_finish) {
  auto main = []() -> task<void> {
    std::vector<int> finished;
    std::vector<task<int>> ts;
    ts.push_back(fail_after(20ms, "second to fail", &finished, 0));
    ts.push_back(value_after(40ms, 1, &finished));
    ts.push_back(fail_after(5ms, "first to fail", &finished, 2));
    try {
      co_await when_all(std::move(ts));
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "first to fail");
    }
    EXPECT_EQ(finished, (std::vector<int>{2, 0, 1})) << "every task finished before the rethrow";
  };
  sync_wait(main());
}

TEST(when_all, the_variadic_form_rethrows_too) {
  auto main = []() -> task<std::string> {
    try {
      co_await when_all(value_after(1ms, 1), fail_after(2ms, "bad"));
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  EXPECT_EQ(sync_wait(main()), "bad");
}

TEST(when_all, an_empty_range_completes_at_once) {
  auto main = []() -> task<std::size_t> {
    auto v = co_await when_all(std::vector<task<int>>{});
    co_return v.size();
  };
  EXPECT_EQ(sync_wait(main()), 0u);
}

TEST(when_all, tasks_that_complete_without_suspending_are_fine) {
  auto main = []() -> task<int> {
    auto now_value = [](int v) -> task<int> { co_return v; };
    std::vector<task<int>> ts;
    for (int i = 0; i < 1000; ++i) ts.push_back(now_value(i));
    auto v = co_await when_all(std::move(ts));
    int sum = 0;
    for (int x : v) sum += x;
    co_return sum;
  };
  EXPECT_EQ(sync_wait(main()), 999 * 1000 / 2);
}

TEST(when_all, gather_is_the_same_thing) {
  auto main = []() -> task<int> {
    auto [a, b] = co_await gather(value_after(2ms, 20), value_after(1ms, 22));
    co_return a + b;
  };
  EXPECT_EQ(sync_wait(main()), 42);
}

TEST(when_all, move_only_results_pass_through) {
  auto main = []() -> task<int> {
    auto boxed = [](int v) -> task<std::unique_ptr<int>> {
      co_await sleep_for(1ms);
      co_return std::make_unique<int>(v);
    };
    std::vector<task<std::unique_ptr<int>>> ts;
    ts.push_back(boxed(1));
    ts.push_back(boxed(2));
    auto v = co_await when_all(std::move(ts));
    co_return *v[0] + *v[1];
  };
  EXPECT_EQ(sync_wait(main()), 3);
}
