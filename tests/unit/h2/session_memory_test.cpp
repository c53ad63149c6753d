#include "h2/session_memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

using barrage::h2::session_memory;

namespace {

void* call_malloc(session_memory& m, std::size_t n) { return m.mem()->malloc(n, m.mem()->mem_user_data); }
void call_free(session_memory& m, void* p) { m.mem()->free(p, m.mem()->mem_user_data); }
void* call_calloc(session_memory& m, std::size_t n, std::size_t size) {
  return m.mem()->calloc(n, size, m.mem()->mem_user_data);
}
void* call_realloc(session_memory& m, void* p, std::size_t n) { return m.mem()->realloc(p, n, m.mem()->mem_user_data); }

}  // namespace

TEST(session_memory, a_freed_block_is_handed_out_again_for_a_size_of_its_class) {
  session_memory m;
  void* a = call_malloc(m, 100);
  call_free(m, a);
  void* b = call_malloc(m, 110);  // 100 and 110 share the 112-byte class
  EXPECT_EQ(a, b);
  EXPECT_EQ(m.mallocs(), 1u);
  EXPECT_EQ(m.reuses(), 1u);
  void* c = call_malloc(m, 120);  // the next class: a new block
  EXPECT_NE(c, b);
  call_free(m, b);
  call_free(m, c);
}

TEST(session_memory, blocks_keep_mallocs_alignment) {
  session_memory m;
  std::vector<void*> blocks;
  for (std::size_t n : {1u, 15u, 16u, 17u, 511u, 512u, 513u, 4096u}) {
    void* p = call_malloc(m, n);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t), 0u) << n;
    std::memset(p, 0xAB, n);
    blocks.push_back(p);
  }
  for (void* p : blocks) call_free(m, p);
}

TEST(session_memory, calloc_zeroes_even_a_reused_block_and_refuses_an_overflowing_count) {
  session_memory m;
  auto* a = static_cast<unsigned char*>(call_malloc(m, 64));
  std::memset(a, 0xFF, 64);
  call_free(m, a);
  auto* b = static_cast<unsigned char*>(call_calloc(m, 8, 8));
  ASSERT_EQ(static_cast<void*>(b), static_cast<void*>(a));
  for (int i = 0; i < 64; ++i) ASSERT_EQ(b[i], 0) << i;
  call_free(m, b);
  EXPECT_EQ(call_calloc(m, SIZE_MAX / 2, 4), nullptr);
}

TEST(session_memory, realloc_keeps_the_bytes_across_classes_and_into_large_blocks) {
  session_memory m;
  auto* p = static_cast<char*>(call_malloc(m, 20));
  std::memcpy(p, "0123456789abcdefghi", 20);
  p = static_cast<char*>(call_realloc(m, p, 30));  // same 32-byte class: same block
  EXPECT_STREQ(p, "0123456789abcdefghi");
  p = static_cast<char*>(call_realloc(m, p, 300));  // another class
  EXPECT_STREQ(p, "0123456789abcdefghi");
  p = static_cast<char*>(call_realloc(m, p, 100000));  // a large block (malloc)
  EXPECT_STREQ(p, "0123456789abcdefghi");
  p = static_cast<char*>(call_realloc(m, p, 200000));
  EXPECT_STREQ(p, "0123456789abcdefghi");
  call_free(m, p);
  void* q = call_realloc(m, nullptr, 40);  // realloc(null) allocates
  EXPECT_NE(q, nullptr);
  call_free(m, q);
  call_free(m, nullptr);
}

TEST(session_memory, each_class_keeps_at_most_its_bound_of_free_blocks) {
  session_memory m;
  std::vector<void*> blocks;
  const std::size_t n = session_memory::kept_per_class + 10;
  for (std::size_t i = 0; i < n; ++i) blocks.push_back(call_malloc(m, 48));
  for (void* p : blocks) call_free(m, p);
  blocks.clear();
  for (std::size_t i = 0; i < n; ++i) blocks.push_back(call_malloc(m, 48));
  EXPECT_EQ(m.reuses(), session_memory::kept_per_class);  // the other 10 went back to malloc
  EXPECT_EQ(m.mallocs(), n + 10);
  for (void* p : blocks) call_free(m, p);
}
