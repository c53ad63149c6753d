#include "base/adaptive_buffer.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace barrage
