// arrival_schedule: the open model's intended times under a ramp.
#include "loadgen/schedule.hpp"

#include <gtest/gtest.h>

using namespace barrage;
using namespace barrage::loadgen;
using namespace std::chrono_literals;

TEST(arrival_schedule, a_falling_ramp_gives_every_arrival_and_ends_in_time) {
  // 500ms up to 2000/s then 500ms down to 100/s: the falling stage once spun for ever (a
  // rounding remainder too small to move the cursor). The integral is 500 + 525 = 1025.
  const time_point t0{};
  arrival_schedule s(ramp_profile(1000, {{500ms, 2000}, {500ms, 100}}), t0);
  std::uint64_t n = 0;
  for (time_point t = s.next(); t < t0 + 1s; t = s.next()) ++n;
  EXPECT_NEAR(static_cast<double>(n), 1025.0, 2.0);
}
