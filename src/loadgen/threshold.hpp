#pragma once
// Pass/fail criteria for a run (--threshold EXPR, repeatable), and the exit codes of barrage.
//
// Grammar: <metric>[{outcome=<o>}] <comparison> <value>, spaces allowed around the comparison.
//   metric      p<N> (0 < N <= 100: p50, p99.9, p99.99) | mean | min | max     latency, corrected
//               error_rate | success_rate                                      share of completed
//               rps                                                            completed per second
//               timeouts | errors | dropped | late                             counts
//   comparison  <  <=  >  >=  ==  !=
//   value       latency: a duration with its unit (250ms, 1s, 500us); rates: a percentage (1%,
//               99.5%); rps: a number (1000, 2.5k); counts: a whole number (0, 10, 1k).
//   outcome     latency metrics only: succeeded (the default: the successful requests) or
//               failed (every other completed request: unsuccessful statuses, errors, timeouts)
//   step        {step=<name>} (with outcome: {step=login,outcome=failed}): judge only that step's
//               requests (a scenario's step name, or a --targets "METHOD URL"); every metric but
//               dropped and late. A step the run does not have fails the threshold.
// Examples: p99<250ms  p50<=20ms  p99.9<1s  error_rate<1%  success_rate>=99.5%  rps>1000
//           timeouts==0  dropped==0  p99{outcome=failed}<1s  p99{step=login}<300ms
// Latency thresholds judge the corrected latency (from the intended send time in the open
// model). A threshold whose metric has no data (no responses, nothing completed) fails.
// In WebSocket runs (ws://, wss://) the latency metrics judge the message round trip
// (websocket.latency); the other metrics, and {outcome=failed}, have no data there and fail.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "loadgen/run_result.hpp"

namespace barrage::loadgen {

/// What `barrage` returns to the shell (docs/report.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_runtime_error = 1;      // the run could not be carried out
inline constexpr int exit_usage_error = 2;        // bad command line
inline constexpr int exit_thresholds_failed = 3;  // the run completed, a threshold failed

enum class threshold_metric : std::uint8_t {
  percentile,  // latency at threshold::percentile
  mean,
  min,
  max,
  error_rate,    // (failed + timed_out) / completed
  success_rate,  // succeeded / completed
  rps,           // completed / duration_s
  timeouts,      // counters::timed_out
  errors,        // failed + timed_out
  dropped,
  late,
};

enum class comparison : std::uint8_t { lt, le, gt, ge, eq, ne };

std::string_view to_string(comparison c) noexcept;

struct threshold {
  std::string expr;  // as given, for the report
  threshold_metric metric = threshold_metric::percentile;
  double percentile = 0;  // for threshold_metric::percentile, in (0, 100]
  bool failed = false;    // latency metrics: judge the failed requests' latency ({outcome=failed})
  std::string step;       // {step=<name>}: that step's requests only; empty: the whole run
  comparison cmp = comparison::lt;
  /// In the metric's unit: nanoseconds for latencies, a fraction (0.01 = 1 %) for rates,
  /// requests per second for rps, a count for counts.
  double value = 0;

  bool holds(double actual) const noexcept;
};

/// Parses one expression. Errors are one line naming what was expected, e.g.
///   bad threshold "p99<250": a latency needs a unit, e.g. p99<250ms
result<threshold, std::string> parse_threshold(std::string_view text);

struct threshold_result {
  std::string expr;
  bool ok = false;
  std::string actual;  // formatted in the threshold's unit ("8.41ms", "0.52%", "n/a: no responses")
};

threshold_result evaluate(const threshold& t, const run_result& r);
std::vector<threshold_result> evaluate(std::span<const threshold> ts, const run_result& r);
/// True when every result passed (and when there are none).
bool all_passed(std::span<const threshold_result> results) noexcept;

/// A percentage with two decimals, more when two would round a non-zero value to 0 or a value
/// below 100 to 100 ("99.95%", "0.0004%", "99.9996%").
std::string format_percent(double percent);

}  // namespace barrage::loadgen
