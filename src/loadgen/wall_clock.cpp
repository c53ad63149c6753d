#include "loadgen/wall_clock.hpp"

#include <time.h>

#include <cerrno>
#include <charconv>
#include <thread>

#include <fmt/format.h>

#include "base/option_values.hpp"
#include "base/quote_text.hpp"

namespace barrage::loadgen {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned days_in_month(unsigned y, unsigned m) noexcept {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// Reads exactly `n` digits at `at`.
std::optional<unsigned> digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + unsigned(s[i] - '0');
  }
  return v;
}

struct fields {
  unsigned year, month, day, hour, minute, second;
};

// "YYYY-MM-DDTHH:MM:SS": the fixed part, or an error's reason.
result<fields, std::string> fixed_part(std::string_view s) {
  auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  auto h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !se || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return fail(std::string("expected YYYY-MM-DDTHH:MM:SS[.frac] and Z or an offset, e.g. 2026-12-06T18:00:00Z"));
  if (*y < 1970) return fail(std::string("years before 1970 are not supported"));
  if (*mo < 1 || *mo > 12) return fail("no month " + std::to_string(*mo));
  if (*d < 1 || *d > days_in_month(*y, *mo)) return fail(fmt::format("no day {} in {:04}-{:02}", *d, *y, *mo));
  if (*h > 23 || *mi > 59) return fail(fmt::format("no time {:02}:{:02}", *h, *mi));
  if (*se == 60) return fail(std::string("leap seconds (:60) are not supported"));
  if (*se > 59) return fail("no second " + std::to_string(*se));
  return fields{*y, *mo, *d, *h, *mi, *se};
}

}  // namespace

std::int64_t unix_now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * ns_per_s + ts.tv_nsec;
}

result<std::int64_t, std::string> parse_rfc3339(std::string_view text) {
  const std::string bad = "bad time " + quote_text(text) + ": ";
  if (text.size() < 20) return fail(bad + "expected YYYY-MM-DDTHH:MM:SS[.frac] and Z or an offset, e.g. 2026-12-06T18:00:00Z");
  auto f = fixed_part(text);
  if (!f) return fail(bad + f.error());
  std::size_t at = 19;
  std::int64_t frac_ns = 0;
  if (text[at] == '.') {
    std::size_t n = 0;
    std::int64_t scale = ns_per_s;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++n) {
      if (n == 9) return fail(bad + "at most 9 digits of fraction (nanoseconds)");
      scale /= 10;
      frac_ns += (text[at] - '0') * scale;
    }
    if (n == 0) return fail(bad + "a fraction needs digits after the '.'");
  }
  std::int64_t offset_s = 0;
  const auto zone = text.substr(at);
  if (zone == "Z" || zone == "z") {
    offset_s = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    auto oh = digits(zone, 1, 2), om = digits(zone, 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return fail(bad + "the offset must be ±HH:MM, e.g. +01:00");
    offset_s = (zone[0] == '-' ? -1 : 1) * static_cast<std::int64_t>(*oh * 3600 + *om * 60);
  } else {
    return fail(bad + "expected Z or an offset ±HH:MM after the time (e.g. 18:00:00Z, 19:00:00+01:00)");
  }
  const std::int64_t days = days_from_civil(f->year, f->month, f->day);
  const std::int64_t secs = days * 86400 + f->hour * 3600 + f->minute * 60 + f->second - offset_s;
  if (secs < 0) return fail(bad + "before 1970-01-01T00:00:00Z");
  return secs * ns_per_s + frac_ns;
}

std::string format_rfc3339_us(std::int64_t unix_us) {
  const std::int64_t us = unix_us < 0 ? 0 : unix_us;
  const time_t secs = static_cast<time_t>(us / 1'000'000);
  tm utc{};
  ::gmtime_r(&secs, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, us % 1'000'000);
}

result<std::int64_t, std::string> parse_start_at(std::string_view text, std::int64_t now_unix_ns) {
  const std::int64_t year_ns = to_ns(max_option_duration);
  if (!text.empty() && text.front() == '+') {
    auto d = parse_duration_in(text.substr(1), duration::zero(), max_option_duration);
    if (!d) return fail(d.error() + " (after '+': how long from now, e.g. +30s)");
    const std::int64_t at = now_unix_ns + to_ns(*d);
    return (at + ns_per_s - 1) / ns_per_s * ns_per_s;  // up to a whole second
  }
  auto at = parse_rfc3339(text);
  if (!at) return fail(at.error() + "; or +DURATION from now, e.g. +30s");
  if (*at <= now_unix_ns)
    return fail("the time " + quote_text(text) + " is already past (it is now " +
                format_rfc3339_us(now_unix_ns / 1000) + "): shards must start together, not late");
  if (*at - now_unix_ns > year_ns) return fail("the time " + quote_text(text) + " is more than a year ahead");
  return *at;
}

time_point monotonic_at(std::int64_t unix_ns) noexcept {
  // The pair of readings with the least time between its two monotonic readings.
  std::int64_t best_gap = INT64_MAX, wall = 0;
  time_point mono{};
  for (int i = 0; i < 3; ++i) {
    const time_point a = mono_clock::now();
    const std::int64_t w = unix_now_ns();
    const time_point b = mono_clock::now();
    if (to_ns(b - a) < best_gap) {
      best_gap = to_ns(b - a);
      wall = w;
      mono = a + (b - a) / 2;
    }
  }
  return mono + std::chrono::nanoseconds(unix_ns - wall);
}

bool sleep_until_shortly_before(std::int64_t unix_ns, duration lead, const std::atomic<bool>* interrupt) {
  for (;;) {
    if (interrupt && interrupt->load()) return false;
    const time_point until = monotonic_at(unix_ns) - lead;  // again each time: the wall clock may be stepped
    const time_point now = mono_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<duration>(until - now, std::chrono::milliseconds(50)));
  }
}

std::int64_t spin_until(time_point t) noexcept {
  // An absolute hrtimer sleep wakes within the timer slack (50 µs) of `t`; a spin only covers
  // an early wake. Spinning through the last millisecond instead would make shards on a busy
  // machine compete for cores at the very instant they must all wake.
  const auto ns = to_ns(t.time_since_epoch());
  const timespec ts{static_cast<time_t>(ns / ns_per_s), static_cast<long>(ns % ns_per_s)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
  while (mono_clock::now() < t) {
  }
  return unix_now_ns();
}

}  // namespace barrage::loadgen
