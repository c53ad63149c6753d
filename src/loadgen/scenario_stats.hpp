#pragma once
// What a scenario run (or a --targets run) counts beside the run's totals: per step (or per
// target) and per iteration of a flow. One per worker, written only by its thread, merged at
// the end like the rest of run_stats.
//
// Accounting, per step: started = succeeded + failed + timed_out + in flight at the end (the
// same identity as the run's requests, whose totals also hold every step's requests); per
// iteration: started = completed + aborted (by reason) + in flight at the end.
//
// A step's latencies are kept sparse (the non-empty buckets of a histogram, as a digest), so
// that a targets file of thousands of URLs costs kilobytes per target, not a histogram each.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/outcome.hpp"
#include "loadgen/histogram.hpp"

namespace barrage::loadgen {

/// Why an iteration ended before its flow's last step.
enum class abort_reason : std::uint8_t {
  unexpected_status,  // the status is not one the step expects
  missing_capture,    // a capture the step requires found nothing
  request_failed,     // the request ended in an error or a timeout (its kind is in the step's errors)
  body_over_limit,    // a body capture's response was longer than the kept body's limit
  no_data_row,        // unique rows: none left for this virtual user
};
inline constexpr std::size_t abort_reason_count = 5;
std::string_view to_string(abort_reason r) noexcept;

/// Latencies as the non-empty counters of a histogram: record() is a binary search, and an
/// insertion the first time a bucket is used.
class sparse_latency {
 public:
  void record(std::uint64_t ns);
  void merge(const sparse_latency& o);
  /// Adds every value of `h` (a step's histogram read back from a report, for barrage merge).
  void merge(const histogram& h);
  /// Adds these values to `h` (for percentiles).
  void add_to(histogram& h) const noexcept { h.merge(d_); }
  std::uint64_t count() const noexcept { return d_.total; }

 private:
  histogram_digest d_{{}, 0, 0, 0, UINT64_MAX, 0};
};

struct step_stats {
  std::string name;  // the step's name, or a target's "METHOD URL"
  std::uint64_t started = 0, succeeded = 0, failed = 0, timed_out = 0;
  std::uint64_t bad_status = 0;  // failed because of the status (a part of failed)
  std::array<std::uint64_t, client::error_kind_count> errors{};
  std::vector<std::pair<std::uint16_t, std::uint64_t>> statuses;  // by first seen
  std::array<std::uint64_t, abort_reason_count> aborted{};       // iterations this step ended
  sparse_latency latency;         // successful requests, as the run's latency
  sparse_latency latency_failed;  // every other completed request

  std::uint64_t completed() const noexcept { return succeeded + failed + timed_out; }
  std::uint64_t in_flight() const noexcept { return started - completed(); }
  void count_status(std::uint16_t status);
};

struct iteration_stats {
  std::uint64_t started = 0, completed = 0;
  std::array<std::uint64_t, abort_reason_count> aborted{};
  histogram duration;  // completed iterations, from the first step's intended start

  std::uint64_t aborted_total() const noexcept;
  std::uint64_t in_flight() const noexcept { return started - completed - aborted_total(); }
};

struct scenario_stats {
  /// Per target ("METHOD URL") rather than per step: a --targets run.
  bool targets = false;
  std::vector<step_stats> steps;  // by slot (scenario_plan), in first-appearance order
  iteration_stats iterations;

  bool used() const noexcept { return !steps.empty(); }
  /// The slots, named; `targets` as above.
  void init(std::vector<std::string> names, bool per_target);
  const step_stats* find(std::string_view name) const noexcept;
  /// Records a finished request of slot `slot`: `succeeded` by the run's success policy.
  void record(unsigned slot, const client::outcome& o, bool succeeded, std::uint64_t latency_ns);
  void abort(unsigned slot, abort_reason r) noexcept {
    ++steps[slot].aborted[static_cast<std::size_t>(r)];
    ++iterations.aborted[static_cast<std::size_t>(r)];
  }
  /// Adds `o` (slots matched by name, new ones appended).
  void merge(const scenario_stats& o);
  void reset();
};

}  // namespace barrage::loadgen
