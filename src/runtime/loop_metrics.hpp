#pragma once
// Loop health, written by the loop's own thread and readable from any thread (relaxed
// atomics: each figure is exact, a snapshot is not a single instant).
//
// - lag: a timer every 10 ms records how late it fired, into a fixed-bucket histogram
//   (the Prometheus buckets of barrage_event_loop_lag_seconds).
// - slow steps: a task step that held the loop longer than the threshold (default 20 ms,
//   the reference operations advice) is counted and reported to an optional hook.
// - busy time: time not spent waiting in the backend.
#include <array>
#include <atomic>
#include <cstdint>

#include "base/clock.hpp"

namespace barrage {

struct loop_metrics_snapshot {
  static constexpr std::array<double, 12> lag_bounds_s{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,   0.1,   0.25,   0.5,   1.0};
  std::array<std::uint64_t, lag_bounds_s.size() + 1> lag_buckets{};  // per bucket, last = +Inf
  std::uint64_t lag_count = 0;
  double lag_sum_s = 0;
  double lag_max_s = 0;
  std::uint64_t slow_steps = 0;
  double busy_s = 0;
  std::uint64_t turns = 0;
  std::uint64_t tasks_spawned = 0;
  std::uint64_t tasks_active = 0;
  std::uint64_t unhandled_exceptions = 0;
};

class loop_metrics {
 public:
  void record_lag(duration lag) noexcept;
  void add_busy(duration d) noexcept { bump(busy_ns_, static_cast<std::uint64_t>(to_ns(d))); }
  void count_slow_step() noexcept { bump(slow_steps_, 1); }
  void count_turn() noexcept { bump(turns_, 1); }
  void count_spawn() noexcept {
    bump(spawned_, 1);
    bump(active_, 1);
  }
  void count_task_end() noexcept { active_.store(active_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed); }
  void count_unhandled() noexcept { bump(unhandled_, 1); }
  loop_metrics_snapshot snapshot() const noexcept;

 private:
  // Single writer: a relaxed load+store is enough and costs no locked instruction.
  static void bump(std::atomic<std::uint64_t>& c, std::uint64_t by) noexcept {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
  std::array<std::atomic<std::uint64_t>, loop_metrics_snapshot::lag_bounds_s.size() + 1> lag_buckets_{};
  std::atomic<std::uint64_t> lag_count_{0}, lag_sum_ns_{0}, lag_max_ns_{0};
  std::atomic<std::uint64_t> slow_steps_{0}, busy_ns_{0}, turns_{0};
  std::atomic<std::uint64_t> spawned_{0}, active_{0}, unhandled_{0};
};

}  // namespace barrage
