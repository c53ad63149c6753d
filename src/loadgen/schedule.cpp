#include "loadgen/schedule.hpp"

namespace barrage::loadgen {

ramp_profile::ramp_profile(double constant, std::vector<ramp_stage> stages, double from)
    : constant_(constant), stages_(std::move(stages)), from_(from) {
  for (const auto& s : stages_) total_ += s.length;
}

double ramp_profile::at(duration since_start) const noexcept {
  if (stages_.empty()) return constant_;
  double value = from_;
  duration t = since_start;
  for (const auto& s : stages_) {
    if (t < s.length) {
      double f = to_seconds(t) / std::max(1e-12, to_seconds(s.length));
      return value + (s.target - value) * f;
    }
    t -= s.length;
    value = s.target;
  }
  return value;
}

time_point arrival_schedule::next() noexcept {
  // The next arrival is where the integral of the rate since the last one reaches 1: walked
  // in steps of at most 1 ms with the rate at each step's midpoint, which is exact for a
  // constant rate and for a linear ramp, and never jumps over a ramp that starts near zero.
  constexpr double max_step_s = 0.001, horizon_s = 1e7;
  auto rate_at = [this](double s) {
    return std::max(0.0, profile_.at(std::chrono::duration_cast<duration>(std::chrono::duration<double>(s))));
  };
  const double ramp_end_s = to_seconds(profile_.length());
  if (primed_ && ramp_end_s == 0) {
    // A constant rate: the i-th arrival is at i / rate. A running sum drifts and can put one
    // arrival too many before the end (-r 200 -d 2s sent 401: 400 steps summed to 1.99999...).
    double r = rate_at(0);
    if (r <= 0) return time_point::max();
    cursor_s_ = static_cast<double>(issued_) / r;
  } else if (primed_) {
    double need = 1.0;
    while (need > 0 && cursor_s_ < horizon_s) {
      double r = rate_at(cursor_s_);
      if (r <= 0 && cursor_s_ >= ramp_end_s) return time_point::max();  // ramped down to 0 for good
      double dt = r > 0 ? std::min(need / r, max_step_s) : max_step_s;
      double mid = rate_at(cursor_s_ + dt / 2);
      // Within rounding of the rest: a falling rate (mid < r) with need tiny gives a step too
      // small to move cursor_s_, and need would shrink forever without reaching 0.
      if (mid * dt >= need * (1 - 1e-9)) {
        cursor_s_ += need / mid;
        need = 0;
      } else {
        need -= mid * dt;
        cursor_s_ += dt;
      }
    }
  } else {
    primed_ = true;  // the first arrival is at the start, or where the rate first rises
    while (rate_at(cursor_s_) <= 0 && cursor_s_ < horizon_s) {
      if (cursor_s_ >= ramp_end_s) return time_point::max();
      cursor_s_ += max_step_s;
    }
  }
  ++issued_;
  return start_ + std::chrono::duration_cast<duration>(std::chrono::duration<double>(cursor_s_));
}

std::uint64_t arrival_schedule::remaining_before(time_point end) noexcept {
  std::uint64_t n = 0;
  for (time_point t = next(); t < end; t = next()) ++n;
  return n;
}

}  // namespace barrage::loadgen
