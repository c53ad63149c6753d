#include "base/adaptive_buffer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace barrage {
namespace {

TEST(adaptive_buffer, starts_at_its_initial_size) {
  adaptive_buffer b(2048, 65536);
  EXPECT_EQ(b.size(), 2048u);
  EXPECT_NE(b.data(), nullptr);
}

TEST(adaptive_buffer, a_read_that_does_not_fill_it_keeps_its_size) {
  adaptive_buffer b(2048, 65536);
  b.after_read(2047);
  b.after_read(0);
  EXPECT_EQ(b.size(), 2048u);
}

TEST(adaptive_buffer, each_full_read_doubles_it_up_to_the_largest) {
  adaptive_buffer b(2048, 65536);
  const std::size_t expected[] = {4096, 8192, 16384, 32768, 65536, 65536, 65536};
  for (std::size_t want : expected) {
    b.after_read(b.size());
    EXPECT_EQ(b.size(), want);
  }
}

TEST(adaptive_buffer, a_largest_that_is_not_a_doubling_caps_the_growth) {
  adaptive_buffer b(1000, 3000);
  b.after_read(1000);
  EXPECT_EQ(b.size(), 2000u);
  b.after_read(2000);
  EXPECT_EQ(b.size(), 3000u);
  b.after_read(3000);
  EXPECT_EQ(b.size(), 3000u);
}

TEST(adaptive_buffer, the_grown_buffer_is_writable_to_its_whole_size) {
  adaptive_buffer b(16, 64);
  b.after_read(16);
  b.after_read(32);
  ASSERT_EQ(b.size(), 64u);
  for (std::size_t i = 0; i < b.size(); ++i) b.data()[i] = static_cast<char>(i);
  EXPECT_EQ(b.data()[63], 63);
}

TEST(adaptive_buffer, growing_keeps_the_bytes_asked_for_at_its_front) {
  adaptive_buffer b(16, 64);
  for (std::size_t i = 0; i < 16; ++i) b.data()[i] = static_cast<char>('a' + i);
  ASSERT_TRUE(b.grow(10, 16));
  EXPECT_EQ(b.size(), 32u);
  EXPECT_EQ(std::string(b.data(), 6), "klmnop");
}

TEST(adaptive_buffer, growing_at_the_largest_changes_nothing) {
  adaptive_buffer b(32, 32);
  b.data()[0] = 'x';
  EXPECT_FALSE(b.grow(0, 1));
  EXPECT_EQ(b.size(), 32u);
  EXPECT_EQ(b.data()[0], 'x');
}

TEST(adaptive_buffer, a_grown_buffer_shrinks_after_quiet_rounds_small_messages) {
  adaptive_buffer b(2048, 65536);
  b.after_read(2048);
  b.after_read(4096);
  ASSERT_EQ(b.size(), 8192u);
  for (unsigned i = 1; i < adaptive_buffer::quiet_rounds; ++i) {
    EXPECT_FALSE(b.at_rest(100));
    EXPECT_EQ(b.size(), 8192u);
  }
  EXPECT_TRUE(b.at_rest(2048));
  EXPECT_EQ(b.size(), 2048u);
  b.data()[2047] = 'z';  // the new buffer is the initial size and writable
}

TEST(adaptive_buffer, a_large_message_starts_the_quiet_count_again) {
  adaptive_buffer b(2048, 65536);
  b.after_read(2048);
  ASSERT_EQ(b.size(), 4096u);
  for (unsigned i = 1; i < adaptive_buffer::quiet_rounds; ++i) b.at_rest(10);
  EXPECT_FALSE(b.at_rest(3000));  // needed more than the initial size: the count restarts
  for (unsigned i = 1; i < adaptive_buffer::quiet_rounds; ++i) EXPECT_FALSE(b.at_rest(10));
  EXPECT_EQ(b.size(), 4096u);
  EXPECT_TRUE(b.at_rest(10));
  EXPECT_EQ(b.size(), 2048u);
}

TEST(adaptive_buffer, a_buffer_at_its_initial_size_never_shrinks) {
  adaptive_buffer b(2048, 65536);
  for (unsigned i = 0; i < 3 * adaptive_buffer::quiet_rounds; ++i) EXPECT_FALSE(b.at_rest(0));
  EXPECT_EQ(b.size(), 2048u);
}

}  // namespace
}  // namespace barrage
