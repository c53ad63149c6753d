#pragma once
// What --metrics-listen serves, as generator_metrics: from the engine's live_snapshot once a
// second while the run goes, then from the run's result, whose counters and histogram are the
// JSON report's exactly.
#include <span>

#include "loadgen/live_view.hpp"
#include "loadgen/run_result.hpp"
#include "report/generator_metrics.hpp"

namespace barrage::report {

/// The figures before the first second: zeros, with the bounds set.
generator_metrics empty_metrics(std::span<const double> latency_bounds_s);

/// The figures of one live second. The latency buckets count each latency at the highest value
/// of its histogram counter (within 0.1 %), so a latency is never put below its bucket.
generator_metrics live_metrics(const loadgen::live_snapshot& s, std::span<const double> latency_bounds_s);

/// The run ended: `m` (the last live figures) takes the result's final totals, latency
/// histogram, in-flight count and mean rate, and the process figures now; the loops keep
/// their last second's.
void settle(generator_metrics& m, const loadgen::run_result& r, double cpu_seconds, std::uint64_t rss_bytes,
            std::uint64_t open_fds);

/// Counts of `d` per bound of `bounds_s` (not cumulative), then the +Inf bucket.
std::vector<std::uint64_t> bucket_counts(const histogram_digest& d, std::span<const double> bounds_s);

}  // namespace barrage::report
