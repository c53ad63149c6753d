// Tests of the counting allocator (tests/support/counting_allocator.cpp).
#include "counting_allocator.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

using barrage::test::allocation_counter;
using barrage::test::allocations_on_this_thread;

TEST(counting_allocator, counts_every_operator_new_on_this_thread) {
  allocation_counter c;
  auto a = std::make_unique<int>(1);
  auto b = std::make_unique<int[]>(8);
  std::vector<int> v(100);
  asm volatile("" : : "r"(a.get()), "r"(b.get()), "r"(v.data()) : "memory");  // not elided
  EXPECT_EQ(c.count(), 3u);
}

TEST(counting_allocator, counts_aligned_and_nothrow_forms) {
  struct alignas(64) wide {
    char bytes[64];
  };
  allocation_counter c;
  auto w = std::make_unique<wide>();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(w.get()) % 64, 0u);
  int* p = new (std::nothrow) int(3);
  asm volatile("" : : "r"(p) : "memory");
  delete p;
  EXPECT_EQ(c.count(), 2u);
}

TEST(counting_allocator, does_not_count_allocations_of_other_threads) {
  allocation_counter c;
  std::uint64_t theirs = 0;
  std::thread t([&] {
    allocation_counter mine;
    auto v = std::make_unique<std::vector<int>>(10);
    asm volatile("" : : "r"(v->data()) : "memory");  // keep both allocations observable
    theirs = mine.count();
  });
  t.join();
  EXPECT_EQ(theirs, 2u);
  // std::thread allocates its state on the starting thread: at most that one.
  EXPECT_LE(c.count(), 1u);
}
