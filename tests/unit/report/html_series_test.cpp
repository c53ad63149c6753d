// What the HTML report plots: the percentile spectrum, the histogram's bins and the timeline
// (grouped for long runs from the per-second histograms).
#include <gtest/gtest.h>

#include <numeric>

#include "report/latency_series.hpp"
#include "report/timeline_series.hpp"
#include "report_fixtures.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;

histogram one_to_n_ms(std::uint64_t n) {
  histogram h;
  for (std::uint64_t i = 1; i <= n; ++i) h.record(i * 1'000'000);
  return h;
}

TEST(PercentileSpectrum, RunsFromTheMinToTheLastPercentileTheCountAllows) {
  const histogram h = one_to_n_ms(1000);
  const auto grid = spectrum_grid(h.count());
  ASSERT_FALSE(grid.empty());
  EXPECT_EQ(grid.front(), 1.0);
  EXPECT_EQ(grid.back(), 1000.0);
  const auto v = spectrum_values(h, grid);
  EXPECT_DOUBLE_EQ(*v.front(), static_cast<double>(h.min()) / 1e6);
  for (std::size_t i = 0; i < grid.size(); ++i) {
    if (grid[i] == 10.0) {
      EXPECT_DOUBLE_EQ(*v[i], static_cast<double>(h.value_at_percentile(90)) / 1e6);
    }
    if (grid[i] == 100.0) {
      EXPECT_DOUBLE_EQ(*v[i], static_cast<double>(h.value_at_percentile(99)) / 1e6);
    }
  }
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
}

TEST(PercentileSpectrum, StopsAt99_999PercentAndLeavesGapsForASmallerRun) {
  EXPECT_EQ(spectrum_grid(10'000'000).back(), 100'000.0);
  EXPECT_EQ(spectrum_grid(3).back(), 10.0);  // at least to 90 %
  const histogram small = one_to_n_ms(50);
  const auto v = spectrum_values(small, spectrum_grid(10'000));
  EXPECT_TRUE(v[24].has_value());  // x = 10
  EXPECT_FALSE(v.back().has_value());
  EXPECT_FALSE(spectrum_values(histogram(), spectrum_grid(10))[0].has_value());
}

TEST(LatencyBins, HoldEveryValueInLogSpacedBins) {
  const histogram h = one_to_n_ms(5000);
  const auto bins = latency_bins(h, 40);
  ASSERT_EQ(bins.size(), 40u);
  std::uint64_t total = 0;
  for (const auto& b : bins) total += b.count;
  EXPECT_EQ(total, h.count());
  EXPECT_NEAR(bins.back().upper_ms, 5000.0, 1e-9);
  EXPECT_NEAR(bins[20].upper_ms / bins[19].upper_ms, bins[30].upper_ms / bins[29].upper_ms, 1e-9);
  EXPECT_TRUE(latency_bins(histogram()).empty());
}

TEST(ParseDigest, ReadsWhatDeserializeReads) {
  histogram h;
  for (std::uint64_t v : {0ull, 5ull, 2047ull, 2048ull, 123'456ull, 123'456ull, 3'600'000'000'000ull}) h.record(v);
  auto d = parse_digest(h.serialize());
  ASSERT_TRUE(d) << d.error();
  histogram merged;
  merged.merge(*d);
  EXPECT_EQ(merged, h);
  EXPECT_TRUE(parse_digest(histogram().serialize()));
}

TEST(ParseDigest, RefusesMalformedText) {
  struct bad_case {
    const char* name;
    const char* text;
  };
  const bad_case cases[] = {
      {"empty", ""},
      {"no header", "h2 0 0 0 0"},
      {"missing fields", "h1 1 2"},
      {"a field that is no number", "h1 1 x 3 0 1"},
      {"a zero count", "h1 1 1 1 0 1:0"},
      {"a repeated bucket", "h1 1 1 2 0 1 0"},
      {"an index out of range", "h1 1 1 1 0 99999999"},
      {"min disagreeing with the buckets", "h1 7 7 7 0 1"},
      {"values but no buckets", "h1 1 1 1 0"},
      {"a negative gap", "h1 1 1 1 0 -1"},
  };
  for (const auto& c : cases) EXPECT_FALSE(parse_digest(c.text)) << c.name;
}

TEST(TimelineSeries, KeepsEachSecondOfAnHourAndNullsSecondsWithoutSuccesses) {
  json timeline = testing::synthesized_timeline(5, 100);
  timeline[2] = {{"second", 2}, {"requests", 3}, {"errors", 3}, {"p50_ms", 0.0}, {"p90_ms", 0.0},
                 {"p99_ms", 0.0}, {"max_ms", 0.0}, {"histogram", histogram().serialize()}};
  const auto s = make_timeline_series(timeline);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s.step_s, 1u);
  EXPECT_EQ(s.requests_per_s[0], 102.0);
  EXPECT_EQ(s.errors_per_s[2], 3.0);
  EXPECT_FALSE(s.p50[2].has_value());
  EXPECT_NEAR(*s.p99[1], timeline[1]["p99_ms"].get<double>(), 1e-3 * timeline[1]["p99_ms"].get<double>());
}

TEST(TimelineSeries, GroupsALongRunWithPercentilesOfTheMergedSeconds) {
  // Even seconds: 100 latencies of 1 ms; odd: 100 of 10 ms. Grouped by two, each point's
  // p50 is 1 ms (the merged median), where the seconds' highest p50 would say 10 ms.
  json timeline = json::array();
  for (int s = 0; s < 8; ++s) {
    histogram h;
    const std::uint64_t v = s % 2 ? 10'000'000 : 1'000'000;
    h.record_n(v, 100);
    timeline.push_back({{"second", s}, {"requests", 100}, {"errors", 0}, {"p50_ms", v / 1e6}, {"p90_ms", v / 1e6},
                        {"p99_ms", v / 1e6}, {"max_ms", v / 1e6}, {"histogram", h.serialize()}});
  }
  const auto s = make_timeline_series(timeline, 4);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s.step_s, 2u);
  EXPECT_EQ(s.second[1], 2.0);
  EXPECT_EQ(s.requests_per_s[0], 100.0);
  EXPECT_NEAR(*s.p50[0], 1.0, 0.01);
  EXPECT_NEAR(*s.p99[0], 10.0, 0.01);
  EXPECT_EQ(*s.max[0], 10.0);
}

TEST(TimelineSeries, ADayOfSecondsBecomesAtMostTheMaximumOfPoints) {
  const json timeline = testing::synthesized_timeline(7201, 10);
  const auto s = make_timeline_series(timeline, 3600);
  EXPECT_EQ(s.step_s, 3u);
  EXPECT_EQ(s.size(), 2401u);
  EXPECT_EQ(s.requests_per_s.back(), 12.0);  // the last group has one second
}

}  // namespace
}  // namespace barrage::report
