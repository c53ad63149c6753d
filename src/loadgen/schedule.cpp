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
  // The gap to the next arrival is 1/rate at the current point: exact for a constant rate,
  // and within one gap of the integral for a ramp.
  constexpr double min_rate = 1e-3, idle_step_s = 0.001;
  if (primed_) {
    double rate = profile_.at(std::chrono::duration_cast<duration>(std::chrono::duration<double>(cursor_s_)));
    while (rate < min_rate) {
      cursor_s_ += idle_step_s;
      rate = profile_.at(std::chrono::duration_cast<duration>(std::chrono::duration<double>(cursor_s_)));
      if (cursor_s_ > 1e7) break;
    }
    // A constant rate: the i-th time is i / rate, not a running sum (which drifts, and can put
    // one arrival too many before the end: 400 sums of 1/200 are 1.99999999999998).
    if (profile_.length() == duration::zero() && rate >= min_rate)
      cursor_s_ = static_cast<double>(issued_) / rate;
    else
      cursor_s_ += 1.0 / std::max(rate, min_rate);
  } else {
    primed_ = true;
    double rate = profile_.at(duration::zero());
    while (rate < min_rate && cursor_s_ <= 1e7) {
      cursor_s_ += idle_step_s;
      rate = profile_.at(std::chrono::duration_cast<duration>(std::chrono::duration<double>(cursor_s_)));
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
