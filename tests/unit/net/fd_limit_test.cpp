#include "net/fd_limit.hpp"

#include <gtest/gtest.h>

using namespace barrage::net;

TEST(fd_limit, raising_reaches_the_hard_limit) {
  auto lim = raise_fd_limit();
  EXPECT_EQ(lim.soft, lim.hard);
}

TEST(fd_limit, a_budget_that_fits_is_accepted) { EXPECT_FALSE(check_fd_budget(10).has_value()); }

TEST(fd_limit, a_budget_beyond_the_limit_names_the_limit_and_the_fix) {
  auto lim = current_fd_limits();
  auto msg = check_fd_budget(lim.soft + 1000);
  ASSERT_TRUE(msg.has_value());
  EXPECT_NE(msg->find("ulimit -n"), std::string::npos);
  EXPECT_NE(msg->find("limits.conf"), std::string::npos);
  EXPECT_NE(msg->find(std::to_string(lim.soft)), std::string::npos);
}

TEST(fd_limit, open_descriptors_are_counted) { EXPECT_GE(open_fd_count(), 3u); }
