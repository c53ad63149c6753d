// The timeline merges what the workers publish each second, as digests: its per-second p50 and
// p99 and its running histogram must be exactly those of one histogram of all the samples.
#include "loadgen/timeline.hpp"

#include <gtest/gtest.h>

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
    EXPECT_EQ(points[sec].p99_ms, one.value_at_percentile(99) / 1e6) << "second " << sec;
  }
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
