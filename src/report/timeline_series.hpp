#pragma once
// The report's timeline (one point per second, loadgen/report_json.hpp) as the series the HTML
// report plots, with at most `max_points` points: a long run's seconds are grouped, k at a
// time, and a group's percentiles come from its seconds' histograms merged (each second keeps
// its latencies to 7 significant bits), not from averaging percentiles. The page stays small
// whatever the length of the run: an hour is 3600 points, a day 1800 groups of 48 s.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "loadgen/histogram.hpp"

namespace barrage::report {

/// A serialized histogram's ("h1 ..." text) counters, read into a digest (which
/// histogram::merge takes) without building a histogram: cheap enough for every second of a
/// long run.
result<histogram_digest, std::string> parse_digest(std::string_view h1);

struct timeline_series {
  unsigned step_s = 1;         // seconds per point
  std::vector<double> second;  // each point's first second since the start
  std::vector<double> requests_per_s, errors_per_s;
  // Successful latencies, ms; absent for points without a successful response.
  std::vector<std::optional<double>> p50, p90, p99, max;

  std::size_t size() const noexcept { return second.size(); }
};

/// `timeline`: the report's "timeline" array (anything else gives no points). A point whose
/// fields are missing or of the wrong type counts as zero requests.
timeline_series make_timeline_series(const nlohmann::json& timeline, std::size_t max_points = 3600);
/// The same with `step_s` seconds per point (at least 1), whatever the length.
timeline_series group_timeline(const nlohmann::json& timeline, unsigned step_s);

}  // namespace barrage::report
