#include "loadgen/live_view.hpp"

#include <gtest/gtest.h>

#include <string>

namespace barrage::loadgen {
namespace {

using namespace std::chrono_literals;

live_snapshot busy_second() {
  live_snapshot s;
  s.elapsed = 12'400ms;
  s.planned = 30s;
  s.requests_per_second = 48'213;
  s.responses = 500'000;
  s.p50 = 1'200us;
  s.p99 = 8'410us;
  s.errors = 3;
  s.open_connections = 50;
  s.cpu_percent = 97.4;
  s.rss_bytes = 12'900'000;
  s.open_fds = 58;
  return s;
}

TEST(live_view, one_line_shows_progress_rate_latency_errors_and_generator_health) {
  EXPECT_EQ(format_live_line(busy_second()),
            "0:12/0:30   48.2k req/s  p50  1.20ms  p99  8.41ms  err 3      conn 50     cpu  97%  rss  12.3 MiB  fd 58");
}

TEST(live_view, fields_keep_their_width_as_numbers_change) {
  auto a = busy_second();
  auto b = busy_second();
  b.elapsed = 13s;
  b.requests_per_second = 51'000;
  b.p50 = 990us;
  b.p99 = 12ms;
  b.errors = 1200;
  b.cpu_percent = 5;
  EXPECT_EQ(format_live_line(a).size(), format_live_line(b).size());
}

TEST(live_view, latency_is_a_dash_before_the_first_response) {
  live_snapshot s;
  s.elapsed = 1s;
  auto line = format_live_line(s);
  EXPECT_NE(line.find("p50       -  p99       -"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(live_view, warm_up_and_the_target_rate_are_shown_when_they_apply) {
  live_snapshot s = busy_second();
  s.warming_up = true;
  s.target_rate = 50'000;
  auto line = format_live_line(s);
  EXPECT_NE(line.find("0:12/0:30 warm-up"), std::string::npos) << line;
  EXPECT_NE(line.find("48.2k/50.0k req/s"), std::string::npos) << line;
}

TEST(live_view, clock_reads_minutes_and_seconds_then_hours) {
  EXPECT_EQ(format_clock(0s), "0:00");
  EXPECT_EQ(format_clock(5'999ms), "0:05");
  EXPECT_EQ(format_clock(62s), "1:02");
  EXPECT_EQ(format_clock(3600s), "1:00:00");
  EXPECT_EQ(format_clock(-1s), "0:00");
}

}  // namespace
}  // namespace barrage::loadgen
