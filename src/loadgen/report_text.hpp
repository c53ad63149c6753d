#pragma once
// The human report: fixed sections, aligned columns, no colour unless asked.
//   what ran · summary · latency percentiles of the successful requests (corrected and
//   uncorrected side by side in the open model) · phases · latency histogram · status codes ·
//   errors (with the failures' latency) · accounting · generator ·
//   thresholds (when any were given)
// docs/report.md explains how to read it.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "loadgen/histogram.hpp"
#include "loadgen/run_result.hpp"
#include "loadgen/threshold.hpp"

namespace barrage::loadgen {

/// The whole text report, ending in a newline. `colour` adds ANSI escapes (bold headings,
/// green/red threshold marks, a yellow saturation warning).
std::string render_text(const run_result& r, std::span<const threshold_result> thresholds = {},
                        bool colour = false);

/// One row of the compact histogram: `count` values in (lowest, highest] nanoseconds (the
/// first row also holds `lowest` itself).
struct histogram_row {
  double lowest = 0;
  double highest = 0;
  std::uint64_t count = 0;
};

/// `rows` log-spaced rows from min() to max(), each histogram bucket counted in the row of its
/// reported value (its highest equivalent, clamped to max()); the counts sum to h.count().
/// One row when min() == max(); none when empty.
std::vector<histogram_row> histogram_rows(const histogram& h, std::size_t rows = 10);

}  // namespace barrage::loadgen
