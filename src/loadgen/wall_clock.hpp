#pragma once
// The wall clock, for what must agree between processes (shards): --start-at, and the
// report's start and end and timeline seconds as Unix times. Everything else in a run is
// timed on the monotonic clock (base/clock.hpp); these functions map between the two.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace barrage::loadgen {

/// Now on the wall clock (CLOCK_REALTIME), in ns since the Unix epoch.
std::int64_t unix_now_ns() noexcept;

/// RFC 3339 date-time: "2026-12-06T18:00:00Z", "2026-12-06T19:00:00.250+01:00" (T or t,
/// Z or z, a fraction of 1 to 9 digits, an offset of ±HH:MM); ns since the Unix epoch. Years
/// 1970 to 9999; a leap second (:60) is refused. Errors quote the text and say what is wrong.
result<std::int64_t, std::string> parse_rfc3339(std::string_view text);
/// "2026-12-06T17:40:00.123456Z": microseconds, UTC.
std::string format_rfc3339_us(std::int64_t unix_us);

/// --start-at: an RFC 3339 time after `now_unix_ns` and at most a year ahead, or "+DURATION"
/// ("+30s", "+2m"): that long from now, rounded up to a whole second, so that shards launched
/// within the same second with the same "+D" agree on the instant (pods started apart need an
/// absolute time). A time already past is refused: a shard must not start alone, late.
result<std::int64_t, std::string> parse_start_at(std::string_view text, std::int64_t now_unix_ns);

/// The monotonic instant at which the wall clock reads `unix_ns` (from a pair of readings of
/// both clocks taken within a microsecond or so of each other).
time_point monotonic_at(std::int64_t unix_ns) noexcept;

/// Sleeps until shortly (`lead`) before the wall clock reads `unix_ns`, waking every 50 ms to
/// look at `interrupt`; false when interrupted.
bool sleep_until_shortly_before(std::int64_t unix_ns, duration lead, const std::atomic<bool>* interrupt);

/// Waits precisely for the monotonic instant `t` (an absolute nanosecond sleep on
/// CLOCK_MONOTONIC, which std::chrono::steady_clock is on Linux).
/// Returns the wall clock's reading (ns since the epoch) right after `t` passed.
std::int64_t spin_until(time_point t) noexcept;

}  // namespace barrage::loadgen
