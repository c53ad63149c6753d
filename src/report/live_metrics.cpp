#include "report/live_metrics.hpp"

#include <algorithm>

namespace barrage::report {
namespace {

std::vector<double> lag_bounds() {
  const auto& b = loop_metrics_snapshot::lag_bounds_s;  // runtime's, through loadgen/live_view.hpp
  return {b.begin(), b.end()};
}

loop_figures figures_of(const loop_metrics_snapshot& l) {
  return {{l.lag_buckets.begin(), l.lag_buckets.end()}, l.lag_sum_s, l.busy_s};
}

}  // namespace

std::vector<std::uint64_t> bucket_counts(const histogram_digest& d, std::span<const double> bounds_s) {
  std::vector<std::uint64_t> counts(bounds_s.size() + 1, 0);
  std::size_t b = 0;
  for (const auto& c : d.counters) {  // by increasing index: the bucket only moves up
    const double highest_s = static_cast<double>(histogram::highest_equivalent(c.index)) / 1e9;
    while (b < bounds_s.size() && highest_s > bounds_s[b]) ++b;
    counts[b] += c.count;
  }
  return counts;
}

generator_metrics empty_metrics(std::span<const double> latency_bounds_s) {
  generator_metrics m;
  m.latency_bounds_s.assign(latency_bounds_s.begin(), latency_bounds_s.end());
  m.latency_buckets.assign(latency_bounds_s.size() + 1, 0);
  m.lag_bounds_s = lag_bounds();
  return m;
}

generator_metrics live_metrics(const loadgen::live_snapshot& s, std::span<const double> latency_bounds_s) {
  generator_metrics m;
  m.totals = s.totals;
  m.latency_bounds_s.assign(latency_bounds_s.begin(), latency_bounds_s.end());
  m.latency_buckets = bucket_counts(s.latency, latency_bounds_s);
  m.latency_sum_s = static_cast<double>(s.latency.sum) / 1e9;
  m.open_connections = s.open_connections;
  m.target_rate = s.target_rate;
  m.achieved_rate = s.requests_per_second;
  m.cpu_seconds = s.cpu_seconds;
  m.rss_bytes = s.rss_bytes;
  m.open_fds = s.open_fds;
  m.lag_bounds_s = lag_bounds();
  for (const auto& l : s.loops) m.loops.push_back(figures_of(l));
  return m;
}

void settle(generator_metrics& m, const loadgen::run_result& r, double cpu_seconds, std::uint64_t rss_bytes,
            std::uint64_t open_fds) {
  m.totals = r.stats.count;
  histogram_digest d;
  r.stats.latency.digest(d);
  m.latency_buckets = bucket_counts(d, m.latency_bounds_s);
  m.latency_sum_s = static_cast<double>(d.sum) / 1e9;
  m.open_connections = 0;
  m.achieved_rate = r.duration_s > 0 ? static_cast<double>(r.stats.count.completed()) / r.duration_s : 0;
  m.cpu_seconds = cpu_seconds;
  m.rss_bytes = rss_bytes;
  m.open_fds = open_fds;
  m.finished = true;
}

}  // namespace barrage::report
