#pragma once
// The load generator's figures in the Prometheus text exposition format (0.0.4), for
// --metrics-listen: what one scrape shows, and the page made of it. A pure function of a plain
// snapshot (report/live_metrics.hpp fills it from the engine's live_snapshot each second and from
// the run's result at its end), so the page is tested as text.
//
// Families (docs/report.md, "Live metrics"): barrage_requests_started_total,
// barrage_requests_total{outcome}, barrage_requests_in_flight, barrage_responses_total{code},
// barrage_request_errors_total{kind}, barrage_request_duration_seconds (histogram),
// barrage_requests_late_total, barrage_requests_dropped_total, barrage_connections_open,
// barrage_connections_opened_total, barrage_bytes_received_total, barrage_bytes_sent_total,
// barrage_target_requests_per_second, barrage_achieved_requests_per_second,
// barrage_generator_loop_lag_seconds{thread} (histogram), barrage_generator_loop_busy_seconds_total{thread},
// barrage_run_finished, process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds.
// Label values are status codes, error kind names, outcome names and thread numbers only:
// never a header, a URL or a body (issue 24's redaction rule).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/stats.hpp"

namespace barrage::report {

inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// One worker thread's event loop.
struct loop_figures {
  std::vector<std::uint64_t> lag_buckets;  // per bound of lag_bounds_s (not cumulative), then +Inf
  double lag_sum_s = 0;
  double busy_s = 0;  // time spent running tasks, not waiting
};

struct generator_metrics {
  loadgen::counters totals;  // counted requests (after --warmup), cumulative
  /// barrage_request_duration_seconds: the successful requests' latencies (corrected in the
  /// open model), as the JSON report's latency_ms and histogram.
  std::vector<double> latency_bounds_s;        // increasing; +Inf implied
  std::vector<std::uint64_t> latency_buckets;  // per bound (not cumulative), then +Inf
  double latency_sum_s = 0;
  std::uint64_t open_connections = 0;
  std::optional<double> target_rate;  // open model: requests per second intended now
  double achieved_rate = 0;           // completions per second (the last second; at the end, the run's mean)
  double cpu_seconds = 0;             // the process, user + system
  std::uint64_t rss_bytes = 0;
  std::uint64_t open_fds = 0;
  std::vector<double> lag_bounds_s;  // of every loop's lag_buckets
  std::vector<loop_figures> loops;   // labelled thread="0", "1", ...
  bool finished = false;             // the run ended: the counters are the report's final totals
};

/// The whole page: each family's # HELP and # TYPE lines, then its samples, one per line.
std::string render_prometheus(const generator_metrics& m);

}  // namespace barrage::report
