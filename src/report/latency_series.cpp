#include "report/latency_series.hpp"

#include <algorithm>
#include <cmath>

namespace barrage::report {

namespace {
double x_limit(std::uint64_t count) { return std::clamp(static_cast<double>(count), 10.0, 100'000.0); }
}  // namespace

std::vector<double> spectrum_grid(std::uint64_t count, int per_decade) {
  std::vector<double> out;
  if (per_decade < 1) return out;
  const double x_max = x_limit(count);
  const int steps = static_cast<int>(std::ceil(std::log10(x_max) * per_decade - 1e-9));
  for (int i = 0; i <= steps; ++i) out.push_back(std::min(std::pow(10.0, static_cast<double>(i) / per_decade), x_max));
  return out;
}

std::vector<std::optional<double>> spectrum_values(const histogram& h, const std::vector<double>& grid) {
  std::vector<std::optional<double>> out;
  const double x_max = x_limit(h.count());
  for (double x : grid) {
    if (h.count() == 0 || x > x_max * (1 + 1e-9)) {
      out.push_back(std::nullopt);
      continue;
    }
    // Rounded to 1e-9 %: 1 - 1/100 must ask for 99 %, not 99.000000000000014 % (a rank more).
    const double percentile = std::round(1e11 * (1.0 - 1.0 / x)) / 1e9;
    out.push_back(static_cast<double>(h.value_at_percentile(percentile)) / 1e6);
  }
  return out;
}

std::vector<latency_bin> latency_bins(const histogram& h, int bins) {
  std::vector<latency_bin> out;
  if (h.count() == 0 || bins < 1) return out;
  const double lo = std::max<double>(static_cast<double>(h.min()), 1'000.0);
  const double hi = std::max<double>(static_cast<double>(h.max()), lo * 1.001);
  const double ratio = std::pow(hi / lo, 1.0 / bins);
  for (int i = 0; i < bins; ++i) {
    const double lower = i == 0 ? 0.0 : lo * std::pow(ratio, i) / 1e6;
    out.push_back({lower, (i == bins - 1 ? hi : lo * std::pow(ratio, i + 1)) / 1e6, 0});
  }
  for (const auto& b : h.buckets()) {
    const double mid = std::min((static_cast<double>(b.lowest) + static_cast<double>(b.highest)) / 2, hi);
    int i = mid <= lo ? 0 : static_cast<int>(std::ceil(std::log(mid / lo) / std::log(ratio))) - 1;
    out[static_cast<std::size_t>(std::clamp(i, 0, bins - 1))].count += b.count;
  }
  return out;
}

}  // namespace barrage::report
