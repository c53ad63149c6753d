#pragma once
// Arrival schedules. The open model sends at intended times that do not depend on the
// server: a constant rate, or a rate that moves linearly between --ramp stages. Times are
// exact (nanoseconds, fractional rates), computed as they are pulled: no array, no drift.
// The closed model's ramp moves the number of active connections the same way.
#include <cmath>
#include <cstdint>
#include <vector>

#include "base/clock.hpp"
#include "loadgen/config.hpp"

namespace barrage::loadgen {

/// A request (or message) sent more than this after its intended time is counted `late`.
inline constexpr duration late_after = std::chrono::milliseconds(1);

/// The open model's timer slack (event_loop::options::timer_slack): arrivals due within it of
/// the earliest are sent by one wake-up, at the latest one's time. Latency still counts from
/// each arrival's own intended time; a lone arrival is sent on time. (docs/performance.md,
/// "Open model batching".)
inline constexpr duration open_timer_slack = std::chrono::microseconds(500);

/// A piecewise-linear function of time since the start: the rate (or connection count).
class ramp_profile {
 public:
  /// Without stages: `constant` for ever. With stages: from `from` (the value at t = 0) to
  /// each stage's target over its length; the last target holds afterwards.
  ramp_profile(double constant, std::vector<ramp_stage> stages, double from = 0);
  double at(duration since_start) const noexcept;
  /// The total length of the stages (zero without stages).
  duration length() const noexcept { return total_; }

 private:
  double constant_;
  std::vector<ramp_stage> stages_;
  double from_;
  duration total_{};
};

class arrival_schedule {
 public:
  /// `rate` requests per second (this worker's share), starting at `start`.
  arrival_schedule(ramp_profile profile, time_point start) noexcept : profile_(std::move(profile)), start_(start) {}

  /// The next intended send time. Rates near zero skip ahead in small steps.
  time_point next() noexcept;
  /// How many intended times fall before `end`, from the next one on (those never sent).
  std::uint64_t remaining_before(time_point end) noexcept;
  std::uint64_t issued() const noexcept { return issued_; }

 private:
  ramp_profile profile_;
  time_point start_;
  double cursor_s_ = 0;  // seconds since start of the next arrival
  bool primed_ = false;
  std::uint64_t issued_ = 0;
};

}  // namespace barrage::loadgen
