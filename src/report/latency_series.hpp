#pragma once
// What the HTML report plots from a whole-run latency histogram: the percentile spectrum
// (HdrHistogram's percentile distribution plot) and a histogram of log-spaced bins.
#include <cstdint>
#include <optional>
#include <vector>

#include "loadgen/histogram.hpp"

namespace barrage::report {

/// The percentile spectrum (HdrHistogram's percentile distribution plot) is drawn at
/// x = 1 / (1 - q) on a log axis, so that x = 10, 100, 1000 ... are 90 %, 99 %, 99.9 % ...
/// The x values from 1 (0 %, the min) to 100'000 (99.999 %), `per_decade` per power of ten,
/// but no further than x = count (beyond it every percentile is the max), and at least to 10.
std::vector<double> spectrum_grid(std::uint64_t count, int per_decade = 24);

/// The latency in ms at each x of `grid` (histogram::value_at_percentile(100 × (1 - 1/x)));
/// absent beyond x = max(count, 10) and for an empty histogram.
std::vector<std::optional<double>> spectrum_values(const histogram& h, const std::vector<double>& grid);

/// One bar of the latency histogram: the values in (lower_ms, upper_ms].
struct latency_bin {
  double lower_ms;
  double upper_ms;
  std::uint64_t count;
};

/// `bins` log-spaced bins from the min (at least 1 µs) to the max; every value of `h` is in one
/// (by its bucket's middle). Empty when the histogram is.
std::vector<latency_bin> latency_bins(const histogram& h, int bins = 40);

}  // namespace barrage::report
