#include "runtime/task.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "runtime/spawn.hpp"

using namespace barrage;

namespace {

task<int> answer() { co_return 42; }
task<int> add_one(task<int> t) { co_return co_await t + 1; }
task<void> throws() {
  throw std::runtime_error("boom");
  co_return;
}
task<int> sync_one() { co_return 1; }

// Symmetric transfer keeps the stack flat only when the compiler turns each transfer into a
// tail call. GCC does at -O2, but not at -O0 nor under ASan/TSan instrumentation (a known
// compiler limitation, not a runtime one): there, the deep tests below would overflow.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(__OPTIMIZE__)
constexpr bool flat_stack_transfers = false;
#else
constexpr bool flat_stack_transfers = true;
#endif

}  // namespace

TEST(task, does_not_start_until_awaited) {
  bool started = false;
  auto make = [&]() -> task<void> {
    started = true;
    co_return;
  };
  auto t = make();
  EXPECT_FALSE(started);
  sync_wait(std::move(t));
  EXPECT_TRUE(started);
}

TEST(task, returns_its_value_to_the_awaiter) { EXPECT_EQ(sync_wait(add_one(answer())), 43); }

TEST(task, propagates_exceptions_through_co_await) {
  auto outer = []() -> task<std::string> {
    try {
      co_await throws();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "not thrown";
  };
  EXPECT_EQ(sync_wait(outer()), "boom");
}

TEST(task, never_awaited_is_destroyed_with_its_captured_arguments) {
  auto counter = std::make_shared<int>(0);
  {
    auto holder = [](std::shared_ptr<int> p) -> task<int> { co_return *p; };
    auto t = holder(counter);
    EXPECT_EQ(counter.use_count(), 2);
  }
  EXPECT_EQ(counter.use_count(), 1);
}

TEST(task, a_million_synchronous_completions_do_not_grow_the_stack) {
  if (!flat_stack_transfers) GTEST_SKIP() << "no guaranteed tail calls in this build (-O0 or sanitizer)";
  auto loop = []() -> task<long> {
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i) sum += co_await sync_one();
    co_return sum;
  };
  EXPECT_EQ(sync_wait(loop()), 1'000'000);
}

TEST(task, a_chain_of_a_hundred_thousand_nested_awaits_completes) {
  if (!flat_stack_transfers) GTEST_SKIP() << "no guaranteed tail calls in this build (-O0 or sanitizer)";
  struct rec {
    static task<int> depth(int n) {
      if (n == 0) co_return 0;
      co_return 1 + co_await depth(n - 1);
    }
  };
  EXPECT_EQ(sync_wait(rec::depth(100'000)), 100'000);
}

TEST(task, move_only_values_pass_through) {
  auto make = []() -> task<std::unique_ptr<int>> { co_return std::make_unique<int>(7); };
  EXPECT_EQ(*sync_wait(make()), 7);
}
