#include "runtime/frame_allocator.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "counting_allocator.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/task.hpp"

using namespace barrage;
using detail::frame_allocator;

namespace {

/// Empties this thread's cache so counts start from zero.
void drain_cache() {
  std::vector<void*> held;
  // Sizes 8, 24, 40...: one per class.
  for (std::size_t size = frame_allocator::class_step / 2; size <= frame_allocator::largest_cached;
       size += frame_allocator::class_step) {
    while (frame_allocator::cached_blocks() > 0) {
      std::size_t before = frame_allocator::cached_blocks();
      void* p = frame_allocator::allocate(size);
      if (frame_allocator::cached_blocks() == before) {  // not from this class: give it back
        ::operator delete(p);
        break;
      }
      held.push_back(p);
    }
  }
  for (void* p : held) ::operator delete(p);
}

task<int> leaf(int v) { co_return v; }

}  // namespace

TEST(frame_allocator, a_freed_frame_is_handed_out_again_for_the_same_size_class) {
  drain_cache();
  void* a = frame_allocator::allocate(100);
  frame_allocator::deallocate(a, 100);
  EXPECT_EQ(frame_allocator::cached_blocks(), 1u);
  void* b = frame_allocator::allocate(104);  // 100 and 104 share the 104-byte class
  EXPECT_EQ(a, b);
  EXPECT_EQ(frame_allocator::cached_blocks(), 0u);
  frame_allocator::deallocate(b, 104);
}

TEST(frame_allocator, a_block_plus_mallocs_header_fills_whole_16_byte_steps) {
  for (std::size_t size = 8; size <= frame_allocator::largest_cached - 8; ++size) {
    std::size_t block = frame_allocator::block_size(size);
    ASSERT_GE(block, size);
    ASSERT_LT(block - size, frame_allocator::class_step) << size;
    ASSERT_EQ((block + 8) % 16, 0u) << size << ": glibc's chunk is the request plus 8, in 16s";
  }
}

TEST(frame_allocator, different_size_classes_do_not_share_blocks) {
  drain_cache();
  void* small = frame_allocator::allocate(72);
  frame_allocator::deallocate(small, 72);
  void* bigger = frame_allocator::allocate(73);
  EXPECT_NE(small, bigger);
  frame_allocator::deallocate(bigger, 73);
  EXPECT_EQ(frame_allocator::cached_blocks(), 2u);
}

TEST(frame_allocator, blocks_are_aligned_for_any_frame) {
  std::vector<std::pair<void*, std::size_t>> blocks;
  for (std::size_t n = 1; n < 3000; n += 37) blocks.emplace_back(frame_allocator::allocate(n), n);
  for (auto [p, n] : blocks) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % __STDCPP_DEFAULT_NEW_ALIGNMENT__, 0u) << n;
    frame_allocator::deallocate(p, n);
  }
}

TEST(frame_allocator, frames_larger_than_two_kib_are_not_cached) {
  drain_cache();
  void* p = frame_allocator::allocate(4096);
  frame_allocator::deallocate(p, 4096);
  EXPECT_EQ(frame_allocator::cached_blocks(), 0u);
}

TEST(frame_allocator, the_cache_is_bounded_per_size_class) {
  drain_cache();
  std::vector<void*> blocks(20'000);
  for (auto& b : blocks) b = frame_allocator::allocate(256);
  for (auto* b : blocks) frame_allocator::deallocate(b, 256);
  EXPECT_EQ(frame_allocator::cached_blocks(), frame_allocator::max_cached_per_class);
  drain_cache();
}

TEST(frame_allocator, a_frame_freed_on_another_thread_goes_to_that_threads_cache) {
  drain_cache();
  void* p = frame_allocator::allocate(200);
  std::size_t theirs = 0;
  std::thread t([&] {
    frame_allocator::deallocate(p, 200);
    theirs = frame_allocator::cached_blocks();
  });
  t.join();
  EXPECT_EQ(theirs, 1u);
  EXPECT_EQ(frame_allocator::cached_blocks(), 0u);
}

TEST(frame_allocator, task_frames_come_from_it_and_a_steady_state_allocates_nothing) {
  auto main = []() -> task<std::uint64_t> {
    for (int i = 0; i < 100; ++i) (void)co_await leaf(i);  // warm up the cache
    co_await sleep_for(0ms);
    test::allocation_counter counter;
    long sum = 0;
    // (2,000, not more: under sanitizers GCC's symmetric transfer is not a tail call.)
    for (int i = 0; i < 2000; ++i) sum += co_await leaf(i);
    for (int i = 0; i < 1000; ++i) co_await sleep_for(0ms);  // timers, the ready ring
    EXPECT_EQ(sum, 1999L * 2000 / 2);
    co_return counter.count();
  };
  EXPECT_EQ(sync_wait(main()), 0u);
}

TEST(frame_allocator, spawning_and_joining_in_a_steady_state_allocates_nothing) {
  auto main = []() -> task<std::uint64_t> {
    for (int i = 0; i < 100; ++i) co_await spawn(leaf(i));
    test::allocation_counter counter;
    for (int i = 0; i < 10'000; ++i) (void)co_await spawn(leaf(i));
    co_return counter.count();
  };
  EXPECT_EQ(sync_wait(main()), 0u);
}

TEST(frame_allocator, releasing_the_cache_keeps_the_most_recent_blocks_of_each_class_and_frees_the_rest) {
  drain_cache();
  std::vector<void*> small(100), large(10);
  for (auto& b : small) b = frame_allocator::allocate(64);
  for (auto& b : large) b = frame_allocator::allocate(1000);
  for (auto* b : small) frame_allocator::deallocate(b, 64);
  for (auto* b : large) frame_allocator::deallocate(b, 1000);
  ASSERT_EQ(frame_allocator::cached_blocks(), 110u);

  EXPECT_EQ(frame_allocator::release_cached(4), 96u + 6u);
  EXPECT_EQ(frame_allocator::cached_blocks(), 8u);
  // The last freed blocks stay, and are handed out again without reaching malloc.
  test::allocation_counter counter;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(frame_allocator::allocate(64), small[small.size() - 1 - i]);
  EXPECT_EQ(counter.count(), 0u);
  for (int i = 3; i >= 0; --i) frame_allocator::deallocate(small[small.size() - 1 - i], 64);
  EXPECT_EQ(frame_allocator::release_cached(0), 8u);
  EXPECT_EQ(frame_allocator::cached_blocks(), 0u);
  EXPECT_EQ(frame_allocator::release_cached(0), 0u);
}

TEST(frame_allocator, a_lower_cache_limit_gives_the_blocks_beyond_it_back_and_later_frames_still_come_from_the_cache) {
  drain_cache();
  std::vector<void*> blocks(100);
  for (auto& b : blocks) b = frame_allocator::allocate(300);
  for (auto* b : blocks) frame_allocator::deallocate(b, 300);
  ASSERT_EQ(frame_allocator::cached_blocks(), 100u);
  {
    const detail::frame_cache_limit limit(8);
    EXPECT_EQ(frame_allocator::cache_limit(), 8u);
    EXPECT_EQ(frame_allocator::cached_blocks(), 8u);  // the 92 beyond it went back at once
    // A burst frees more than the limit: the rest goes to malloc, 8 stay.
    std::vector<void*> burst(50);
    for (auto& b : burst) b = frame_allocator::allocate(300);
    for (auto* b : burst) frame_allocator::deallocate(b, 300);
    EXPECT_EQ(frame_allocator::cached_blocks(), 8u);
    // One for one, a steady state still reuses the cached block, without malloc.
    test::allocation_counter counter;
    void* p = frame_allocator::allocate(300);
    frame_allocator::deallocate(p, 300);
    void* q = frame_allocator::allocate(300);
    EXPECT_EQ(p, q);
    frame_allocator::deallocate(q, 300);
    EXPECT_EQ(counter.count(), 0u);
  }
  EXPECT_EQ(frame_allocator::cache_limit(), frame_allocator::max_cached_per_class);  // restored
  std::vector<void*> again(100);
  for (auto& b : again) b = frame_allocator::allocate(300);
  for (auto* b : again) frame_allocator::deallocate(b, 300);
  EXPECT_EQ(frame_allocator::cached_blocks(), 100u);
  drain_cache();
}

TEST(frame_allocator, a_cache_limit_above_the_bound_is_held_to_the_bound) {
  const detail::frame_cache_limit limit(frame_allocator::max_cached_per_class * 4);
  EXPECT_EQ(frame_allocator::cache_limit(), frame_allocator::max_cached_per_class);
}
