// The timeline merges what the workers publish each second, as digests: its per-second p50 and
// p99 and its running histogram must be exactly those of one histogram of all the samples.
#include "loadgen/timeline.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <vector>

using namespace barrage;
using namespace barrage::loadgen;

namespace {

struct sample {
  unsigned worker;
  std::uint64_t second;
  std::uint64_t ns;
};

std::vector<sample> samples(unsigned workers, std::uint64_t seconds, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<> latency(std::log(2e6), 1.2);  // around 2 ms, a long tail
  std::vector<sample> out(n);
  for (auto& s : out) {
    s.worker = static_cast<unsigned>(rng() % workers);
    s.second = rng() % seconds;
    s.ns = static_cast<std::uint64_t>(std::min(latency(rng), 3e12));
  }
  return out;
}

/// Publishes every worker's seconds as a worker does (one histogram per worker, digested and
/// reset once a second), in a worker order that changes per second.
timeline_builder replay(const std::vector<sample>& all, unsigned workers, std::uint64_t seconds) {
  timeline_builder t(workers);
  std::vector<histogram> current(workers);
  for (std::uint64_t sec = 0; sec < seconds; ++sec) {
    for (const auto& s : all)
      if (s.second == sec) current[s.worker].record(s.ns);
    for (unsigned i = 0; i < workers; ++i) {
      const unsigned w = static_cast<unsigned>((i + sec) % workers);
      second_report r{sec, 0, 0, {}};
      current[w].digest(r.latency);
      r.requests = current[w].count();
      t.add(std::move(r));
      current[w].reset();
    }
  }
  return t;
}

}  // namespace

TEST(timeline, merged_per_second_percentiles_equal_those_of_one_histogram_of_all_samples) {
  constexpr unsigned workers = 4;
  constexpr std::uint64_t seconds = 6;
  const auto all = samples(workers, seconds, 60'000, 17);
  timeline_builder t = replay(all, workers, seconds);
  histogram everything;
  for (const auto& s : all) everything.record(s.ns);
  EXPECT_EQ(t.so_far(), everything);
  const auto points = t.finish();
  ASSERT_EQ(points.size(), seconds);
  for (std::uint64_t sec = 0; sec < seconds; ++sec) {
    histogram one;
    for (const auto& s : all)
      if (s.second == sec) one.record(s.ns);
    EXPECT_EQ(points[sec].requests, one.count()) << "second " << sec;
    EXPECT_EQ(points[sec].p50_ms, one.value_at_percentile(50) / 1e6) << "second " << sec;
    EXPECT_EQ(points[sec].p90_ms, one.value_at_percentile(90) / 1e6) << "second " << sec;
    EXPECT_EQ(points[sec].p99_ms, one.value_at_percentile(99) / 1e6) << "second " << sec;
    EXPECT_EQ(points[sec].max_ms, static_cast<double>(one.max()) / 1e6) << "second " << sec;
    auto coarse = histogram::deserialize(points[sec].coarse);
    ASSERT_TRUE(coarse) << coarse.error();
    EXPECT_EQ(coarse->count(), one.count()) << "second " << sec;
    for (double q : {50.0, 90.0, 99.0, 99.9}) {
      const double exact = static_cast<double>(one.value_at_percentile(q));
      EXPECT_NEAR(static_cast<double>(coarse->value_at_percentile(q)), exact, exact / 100) << q << " at " << sec;
    }
  }
}

TEST(timeline, a_coarse_second_keeps_every_count_and_each_value_within_one_128th) {
  histogram h, out;
  const std::uint64_t values[] = {0, 1, 127, 128, 1'000, 2'047, 2'048, 77'777, 1'234'567, 3'000'000'000'000};
  for (auto v : values) h.record_n(v, v % 7 + 1);
  coarsen(h, out);
  EXPECT_EQ(out.count(), h.count());
  auto in = h.buckets().begin();
  for (const auto& b : out.buckets()) {
    ASSERT_NE(in, h.buckets().end());
    EXPECT_EQ(b.count, (*in).count) << "value " << (*in).lowest;
    EXPECT_NEAR(static_cast<double>(b.lowest), static_cast<double>((*in).lowest), static_cast<double>((*in).lowest) / 100 + 1);
    ++in;
  }
  // 64 counters per power of two at most: a million distinct values between 1 and 2 ms.
  histogram wide, narrow;
  for (std::uint64_t v = 1'048'576; v < 2'097'152; v += 1) wide.record(v);
  coarsen(wide, narrow);
  std::size_t counters = 0;
  for ([[maybe_unused]] const auto& b : narrow.buckets()) ++counters;
  EXPECT_EQ(counters, 64u);
  EXPECT_EQ(narrow.count(), wide.count());
}

TEST(timeline, a_second_is_final_once_every_worker_reported_it) {
  timeline_builder t(2);
  histogram h;
  h.record(std::uint64_t{1'000'000});
  second_report a{0, 3, 1, {}};
  h.digest(a.latency);
  t.add(std::move(a));
  EXPECT_EQ(t.last_second_requests(), 0u);  // waits for the second worker
  EXPECT_EQ(t.so_far().count(), 1u);        // the live view sees it at once
  second_report b{0, 4, 0, {}};
  t.add(std::move(b));
  EXPECT_EQ(t.last_second_requests(), 7u);
  const auto points = t.finish();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].errors, 1u);
  EXPECT_EQ(points[0].p50_ms, h.value_at_percentile(50) / 1e6);
}

TEST(timeline, seconds_a_worker_never_reported_are_finalized_at_the_end) {
  timeline_builder t(3);
  second_report r{2, 5, 0, {}};
  t.add(std::move(r));
  const auto points = t.finish();
  ASSERT_EQ(points.size(), 3u);  // seconds 0 and 1 had nothing
  EXPECT_EQ(points[2].requests, 5u);
  EXPECT_EQ(points[0].requests, 0u);
}

TEST(timeline, an_observer_gets_each_seconds_merged_corrected_and_uncorrected_histograms_once_in_order) {
  constexpr unsigned workers = 3;
  timeline_builder t(workers);
  struct seen {
    std::uint64_t second;
    histogram corrected;
    std::optional<histogram> uncorrected;
  };
  std::vector<seen> got;
  const auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  t.observe(
      [&](const second_latencies& s) {
        EXPECT_EQ(s.run_start, start);
        got.push_back({s.second, s.corrected, s.uncorrected ? std::optional(*s.uncorrected) : std::nullopt});
      },
      start);
  std::vector<histogram> expected_corrected(3), expected_uncorrected(3);
  for (std::uint64_t sec = 0; sec < 3; ++sec) {
    for (unsigned w = 0; w < workers; ++w) {
      histogram c, u;
      for (std::uint64_t i = 0; i < 10 * (w + 1) + sec; ++i) {
        c.record(5'000'000 + 1'000 * i + w);
        u.record(1'000'000 + 1'000 * i + w);
      }
      expected_corrected[sec].merge(c);
      expected_uncorrected[sec].merge(u);
      second_report r{sec, c.count(), 0, {}, histogram_digest{}};
      c.digest(r.latency);
      u.digest(*r.uncorrected);
      t.add(std::move(r));
    }
    ASSERT_EQ(got.size(), sec + 1) << "second " << sec << " is observed as soon as every worker reported it";
  }
  t.finish();
  ASSERT_EQ(got.size(), 3u);
  for (std::uint64_t sec = 0; sec < 3; ++sec) {
    EXPECT_EQ(got[sec].second, sec);
    EXPECT_EQ(got[sec].corrected, expected_corrected[sec]);
    ASSERT_TRUE(got[sec].uncorrected);
    EXPECT_EQ(*got[sec].uncorrected, expected_uncorrected[sec]);
  }
}

TEST(timeline, the_closed_model_observer_gets_no_uncorrected_histogram) {
  timeline_builder t(1);
  int calls = 0;
  t.observe(
      [&](const second_latencies& s) {
        ++calls;
        EXPECT_EQ(s.uncorrected, nullptr);
        EXPECT_EQ(s.corrected.count(), 1u);
      },
      {});
  histogram h;
  h.record(std::uint64_t{7});
  second_report r{0, 1, 0, {}};
  h.digest(r.latency);
  t.add(std::move(r));
  t.finish();
  EXPECT_EQ(calls, 1);
}
