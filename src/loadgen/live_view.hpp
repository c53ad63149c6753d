#pragma once
// The live progress line: the engine fills a live_snapshot once a second and prints the line
// (on a terminal, after "\r"; elsewhere, one line each). Fields keep a fixed width so the
// line does not jitter as numbers change.
//   0:12/0:30  48.2k req/s  p50  1.20ms  p99  8.41ms  err 0  conn 50  cpu 97%  rss 12.3 MiB  fd 58
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "loadgen/histogram.hpp"
#include "loadgen/stats.hpp"
#include "runtime/loop_metrics.hpp"

namespace barrage::loadgen {

struct live_snapshot {
  duration elapsed{};                  // since the start of the run (warm-up included)
  std::optional<duration> planned;     // the run's length when known (-d), for "0:12/0:30"
  bool warming_up = false;             // still inside --warmup
  double requests_per_second = 0;      // completions during the last second
  std::optional<double> target_rate;   // open model: the intended rate now
  std::uint64_t responses = 0;         // responses so far; p50 and p99 mean nothing at 0
  duration p50{};                      // so far (corrected latency)
  duration p99{};
  std::uint64_t errors = 0;            // failed + timed out, so far
  std::uint64_t open_connections = 0;
  double cpu_percent = 0;              // generator process, of one core, over the last second
  std::uint64_t rss_bytes = 0;
  std::uint64_t open_fds = 0;
  // The live metrics (--metrics-listen, report/live_metrics.hpp): cumulative, merged over the
  // workers as they published them at their last second.
  counters totals;                          // every counted request so far
  histogram_digest latency;                 // the successful ones' latencies so far (corrected)
  std::vector<loop_metrics_snapshot> loops;  // one per worker; lag sampled only with --metrics-listen
  double cpu_seconds = 0;                   // generator process, user + system, since it started
};

/// One line, no newline, no colour.
std::string format_live_line(const live_snapshot& s);

/// "0:05", "1:02", "1:00:00": whole seconds, rounded down.
std::string format_clock(duration d);

}  // namespace barrage::loadgen
