#include "runtime/loop_metrics.hpp"

namespace barrage {

void loop_metrics::record_lag(duration lag) noexcept {
  auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ns(lag)));
  double s = static_cast<double>(ns) * 1e-9;
  std::size_t i = 0;
  while (i < loop_metrics_snapshot::lag_bounds_s.size() && s > loop_metrics_snapshot::lag_bounds_s[i]) ++i;
  bump(lag_buckets_[i], 1);
  bump(lag_count_, 1);
  bump(lag_sum_ns_, ns);
  if (ns > lag_max_ns_.load(std::memory_order_relaxed)) lag_max_ns_.store(ns, std::memory_order_relaxed);
}

loop_metrics_snapshot loop_metrics::snapshot() const noexcept {
  loop_metrics_snapshot s;
  for (std::size_t i = 0; i < lag_buckets_.size(); ++i) s.lag_buckets[i] = lag_buckets_[i].load(std::memory_order_relaxed);
  s.lag_count = lag_count_.load(std::memory_order_relaxed);
  s.lag_sum_s = static_cast<double>(lag_sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
  s.lag_max_s = static_cast<double>(lag_max_ns_.load(std::memory_order_relaxed)) * 1e-9;
  s.slow_steps = slow_steps_.load(std::memory_order_relaxed);
  s.busy_s = static_cast<double>(busy_ns_.load(std::memory_order_relaxed)) * 1e-9;
  s.turns = turns_.load(std::memory_order_relaxed);
  s.tasks_spawned = spawned_.load(std::memory_order_relaxed);
  s.tasks_active = active_.load(std::memory_order_relaxed);
  s.unhandled_exceptions = unhandled_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace barrage
