// RFC 3339 times and --start-at, and the precise wait for a monotonic instant.
#include "loadgen/wall_clock.hpp"

#include <gtest/gtest.h>

namespace barrage::loadgen {
namespace {

constexpr std::int64_t s = 1'000'000'000;
// 2026-12-06T18:00:00Z.
constexpr std::int64_t evening = 1'796'580'000 * s;

struct good_time {
  const char* name;
  const char* text;
  std::int64_t unix_ns;
};

TEST(rfc3339, good_times_parse_to_their_unix_nanoseconds) {
  const good_time cases[] = {
      {"the epoch", "1970-01-01T00:00:00Z", 0},
      {"utc", "2026-12-06T18:00:00Z", evening},
      {"lower-case t and z", "2026-12-06t18:00:00z", evening},
      {"a positive offset", "2026-12-06T19:00:00+01:00", evening},
      {"a negative offset with minutes", "2026-12-06T12:30:00-05:30", evening},
      {"an offset that crosses midnight", "2026-12-07T03:00:00+09:00", evening},
      {"milliseconds", "2026-12-06T18:00:00.250Z", evening + 250'000'000},
      {"one digit of fraction", "2026-12-06T18:00:00.5Z", evening + 500'000'000},
      {"nanoseconds", "2026-12-06T18:00:00.000000001Z", evening + 1},
      {"a leap day", "2024-02-29T00:00:00Z", 1'709'164'800 * s},
      {"the end of a year", "1999-12-31T23:59:59Z", 946'684'799 * s},
      {"2000 was a leap year", "2000-02-29T12:00:00Z", 951'825'600 * s},
  };
  for (const auto& c : cases) {
    auto r = parse_rfc3339(c.text);
    ASSERT_TRUE(r) << c.name << ": " << r.error();
    EXPECT_EQ(*r, c.unix_ns) << c.name;
  }
}

struct bad_time {
  const char* name;
  const char* text;
  const char* reason;  // a part of the message
};

TEST(rfc3339, bad_times_are_refused_with_what_is_wrong) {
  const bad_time cases[] = {
      {"empty", "", "expected YYYY-MM-DDTHH:MM:SS"},
      {"no zone", "2026-12-06T18:00:00", "expected YYYY-MM-DDTHH:MM:SS"},
      {"a date only", "2026-12-06", "expected YYYY-MM-DDTHH:MM:SS"},
      {"a space instead of T", "2026-12-06 18:00:00Z", "expected YYYY-MM-DDTHH:MM:SS"},
      {"month 13", "2026-13-06T18:00:00Z", "no month 13"},
      {"month 0", "2026-00-06T18:00:00Z", "no month 0"},
      {"february 30", "2026-02-30T18:00:00Z", "no day 30 in 2026-02"},
      {"not a leap year", "2025-02-29T18:00:00Z", "no day 29 in 2025-02"},
      {"1900 was not a leap year", "1900-02-29T00:00:00Z", "before 1970"},
      {"hour 24", "2026-12-06T24:00:00Z", "no time 24:00"},
      {"minute 60", "2026-12-06T18:60:00Z", "no time 18:60"},
      {"a leap second", "2026-12-31T23:59:60Z", "leap seconds"},
      {"second 61", "2026-12-06T18:00:61Z", "no second 61"},
      {"a dot without digits", "2026-12-06T18:00:00.Z", "needs digits"},
      {"ten digits of fraction", "2026-12-06T18:00:00.1234567890Z", "at most 9 digits"},
      {"an offset without a colon", "2026-12-06T18:00:00+0100", "expected Z or an offset"},
      {"an offset hour 24", "2026-12-06T18:00:00+24:00", "the offset must be"},
      {"trailing text", "2026-12-06T18:00:00Zx", "expected Z or an offset"},
      {"before the epoch by offset", "1970-01-01T00:00:00+01:00", "before 1970-01-01"},
      {"letters for digits", "2026-1x-06T18:00:00Z", "expected YYYY-MM-DDTHH:MM:SS"},
  };
  for (const auto& c : cases) {
    auto r = parse_rfc3339(c.text);
    ASSERT_FALSE(r) << c.name;
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << c.name << ": " << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos) << c.name;
  }
}

TEST(rfc3339, times_format_as_utc_with_microseconds) {
  EXPECT_EQ(format_rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_rfc3339_us(evening / 1000 + 123'456), "2026-12-06T18:00:00.123456Z");
  EXPECT_EQ(*parse_rfc3339(format_rfc3339_us(evening / 1000 + 7)), evening + 7000);
}

TEST(start_at, a_relative_time_is_rounded_up_to_a_whole_second_so_shards_launched_apart_agree) {
  const std::int64_t now = evening + 300'000'000;  // 18:00:00.3
  EXPECT_EQ(*parse_start_at("+30s", now), evening + 31 * s);
  EXPECT_EQ(*parse_start_at("+30s", now + 600'000'000), evening + 31 * s) << "launched 0.6 s later, same instant";
  EXPECT_EQ(*parse_start_at("+1s", evening), evening + s) << "already whole";
  EXPECT_EQ(*parse_start_at("+2m", now), evening + 121 * s);
  EXPECT_EQ(*parse_start_at("+0s", now), evening + s);
  EXPECT_FALSE(parse_start_at("+", now));
  EXPECT_FALSE(parse_start_at("+-1s", now));
  EXPECT_FALSE(parse_start_at("+10x", now));
}

TEST(start_at, an_absolute_time_must_be_ahead_and_within_a_year) {
  const std::int64_t now = evening - 10 * s;
  EXPECT_EQ(*parse_start_at("2026-12-06T18:00:00Z", now), evening);
  auto past = parse_start_at("2026-12-06T18:00:00Z", evening + s);
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error(), "the time \"2026-12-06T18:00:00Z\" is already past (it is now 2026-12-06T18:00:01.000000Z): "
                          "shards must start together, not late");
  EXPECT_FALSE(parse_start_at("2026-12-06T18:00:00Z", evening)) << "now is not ahead";
  auto far = parse_start_at("2028-12-06T18:00:00Z", now);
  ASSERT_FALSE(far);
  EXPECT_NE(far.error().find("more than a year ahead"), std::string::npos);
  auto bad = parse_start_at("tomorrow", now);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("or +DURATION from now"), std::string::npos) << bad.error();
}

TEST(start_at, the_wall_clock_maps_to_the_monotonic_clock_and_the_waits_never_end_early) {
  // Only lower bounds are timing-proof on a shared CI machine; the upper bounds are loose
  // sanity checks (bench/shards.sh and the shards integration test measure the real figure).
  const std::int64_t target = unix_now_ns() + 20'000'000;  // 20 ms ahead
  const time_point at = monotonic_at(target);
  EXPECT_LE(to_ns(at - mono_clock::now()), 20'000'000);
  EXPECT_GT(to_ns(at - mono_clock::now()), 0);
  ASSERT_TRUE(sleep_until_shortly_before(target, std::chrono::milliseconds(5), nullptr));
  EXPECT_GE(mono_clock::now(), at - std::chrono::milliseconds(5)) << "not before the lead";
  const std::int64_t woke = spin_until(at);
  EXPECT_GE(mono_clock::now(), at) << "never before the instant";
  EXPECT_GE(woke, target - 200'000) << "within the two clocks' mapping error";
  EXPECT_LT(woke, target + 250'000'000);
  std::atomic<bool> stop{true};
  EXPECT_FALSE(sleep_until_shortly_before(unix_now_ns() + 10 * s, {}, &stop)) << "an interrupt ends the wait";
}

}  // namespace
}  // namespace barrage::loadgen
