#include "loadgen/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#include "counting_allocator.hpp"
#include <new>
#include <random>
#include <vector>

// The counting allocator (tests/support) lets the tests prove that record() never allocates
// and that the constructor allocates exactly memory_bytes.
namespace {
std::uint64_t allocations_now() { return barrage::test::allocations_on_this_thread(); }
std::uint64_t bytes_now() { return barrage::test::allocated_bytes_on_this_thread(); }
}  // namespace

namespace barrage {
namespace {

using namespace std::chrono;
constexpr std::uint64_t us = 1'000, ms = 1'000'000, sec = 1'000'000'000;

histogram filled(const std::vector<std::uint64_t>& values) {
  histogram h;
  for (auto v : values) h.record(v);
  return h;
}

// Nearest-rank order statistic: the rank-th smallest value, rank = ceil(p/100 × n) ≥ 1.
std::uint64_t oracle(const std::vector<std::uint64_t>& sorted, double p) {
  if (p <= 0) return sorted.front();
  auto n = static_cast<double>(sorted.size());
  auto rank =
      static_cast<std::size_t>(std::ceil(std::nextafter(std::min(p, 100.0), 0.0) / 100.0 * n));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// ---------------------------------------------------------------------------------------------
// Random latency distributions (ns), one line each.

using generator = std::function<std::uint64_t(std::mt19937_64&)>;
struct distribution {
  const char* name;
  generator next;
};

std::uint64_t clamp_ns(double v) { return static_cast<std::uint64_t>(std::clamp(v, 0.0, 3.5e12)); }

const distribution distributions[] = {
    {"uniform_1us_to_100ms",
     [](auto& rng) { return std::uniform_int_distribution<std::uint64_t>(us, 100 * ms)(rng); }},
    {"log_normal_around_1ms",
     [](auto& rng) { return clamp_ns(std::lognormal_distribution<>(std::log(1e6), 1.0)(rng)); }},
    {"bimodal_with_1s_stalls",
     [](auto& rng) {
       bool stall = std::bernoulli_distribution(0.01)(rng);
       return clamp_ns(stall ? std::normal_distribution<>(1e9, 5e7)(rng)
                             : std::normal_distribution<>(2e5, 2e4)(rng));
     }},
    {"sub_microsecond_and_exact",
     [](auto& rng) { return std::uniform_int_distribution<std::uint64_t>(0, 3000)(rng); }},
    {"wide_1us_to_1h",
     [](auto& rng) {
       return clamp_ns(
           std::exp(std::uniform_real_distribution<>(std::log(1e3), std::log(3.6e12))(rng)));
     }},
};

std::vector<std::uint64_t> sample(const distribution& d, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> values(n);
  for (auto& v : values) v = d.next(rng);
  return values;
}

class on_random_data : public testing::TestWithParam<distribution> {};

TEST_P(on_random_data, percentiles_match_a_sorted_array_within_one_part_in_a_thousand) {
  auto values = sample(GetParam(), 200'000, 42);
  auto h = filled(values);
  std::sort(values.begin(), values.end());
  for (double p : {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0}) {
    auto exact = oracle(values, p);
    auto got = h.value_at_percentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) * 0.001) << "p" << p;
  }
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
}

TEST_P(on_random_data, percentiles_in_one_pass_equal_each_percentile_asked_alone) {
  const auto h = filled(sample(GetParam(), 20'000, 7));
  const std::vector<double> ps{0.0, 0.1, 1.0, 50.0, 50.0, 75.0, 99.0, 99.9, 99.99, 100.0, 120.0};
  std::vector<std::uint64_t> got(ps.size(), 12345);
  h.values_at_percentiles(ps, got);
  for (std::size_t i = 0; i < ps.size(); ++i) EXPECT_EQ(got[i], h.value_at_percentile(ps[i])) << "p" << ps[i];
  histogram empty;
  empty.values_at_percentiles(ps, got);
  for (std::size_t i = 0; i < ps.size(); ++i) EXPECT_EQ(got[i], 0u) << "empty, p" << ps[i];
}

TEST_P(on_random_data, mean_is_exact_and_stdev_within_one_percent) {
  auto values = sample(GetParam(), 100'000, 7);
  auto h = filled(values);
  long double sum = 0, squares = 0;
  for (auto v : values) sum += v;
  long double mean = sum / values.size();
  for (auto v : values) squares += (v - mean) * (v - mean);
  double stdev = std::sqrt(static_cast<double>(squares / values.size()));
  EXPECT_DOUBLE_EQ(h.mean(), static_cast<double>(mean));
  EXPECT_NEAR(h.stdev(), stdev, stdev * 0.01);
}

TEST_P(on_random_data, merging_parts_equals_recording_everything_in_one) {
  auto values = sample(GetParam(), 100'000, 3);
  std::vector<histogram> parts(7);
  for (std::size_t i = 0; i < values.size(); ++i) parts[i * 7919 % parts.size()].record(values[i]);
  histogram merged;
  for (const auto& part : parts) merged.merge(part);
  EXPECT_EQ(merged, filled(values));
}

TEST_P(on_random_data, merging_digests_equals_merging_the_histograms) {
  auto values = sample(GetParam(), 100'000, 11);
  std::vector<histogram> parts(5);
  for (std::size_t i = 0; i < values.size(); ++i) parts[i * 7919 % parts.size()].record(values[i]);
  histogram from_digests;
  histogram_digest d;  // reused, as a worker reuses nothing but may
  for (const auto& part : parts) {
    part.digest(d);
    EXPECT_EQ(d.total, part.count());
    from_digests.merge(d);
  }
  EXPECT_EQ(from_digests, filled(values));
}

TEST_P(on_random_data, serialization_round_trips_exactly) {
  auto h = filled(sample(GetParam(), 100'000, 5));
  auto text = h.serialize();
  auto back = histogram::deserialize(text);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, h);
  EXPECT_EQ(back->serialize(), text);
  EXPECT_TRUE(std::all_of(text.begin(), text.end(), [](char c) { return c >= ' ' && c <= '~'; }));
}

TEST_P(on_random_data, buckets_cover_every_value_in_increasing_order) {
  auto h = filled(sample(GetParam(), 50'000, 9));
  std::uint64_t cumulative = 0, previous_highest = 0;
  bool first = true;
  for (auto b : h.buckets()) {
    EXPECT_GT(b.count, 0u);
    EXPECT_LE(b.lowest, b.highest);
    if (!first) {
      EXPECT_GT(b.lowest, previous_highest);
    }
    first = false;
    previous_highest = b.highest;
    cumulative += b.count;  // a Prometheus-style cumulative bucket: count of values ≤ b.highest
  }
  EXPECT_EQ(cumulative, h.count());
}

INSTANTIATE_TEST_SUITE_P(histogram, on_random_data, testing::ValuesIn(distributions),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// Layout

TEST(histogram, occupies_a_fixed_267_368_bytes_allocated_once_by_the_constructor) {
  EXPECT_EQ(histogram::bucket_count, 33'421u);
  EXPECT_EQ(histogram::memory_bytes, 267'368u);
  auto before_calls = allocations_now(), before_bytes = bytes_now();
  histogram h;
  EXPECT_EQ(allocations_now() - before_calls, 1u);
  EXPECT_EQ(bytes_now() - before_bytes, histogram::memory_bytes);
}

TEST(histogram, record_never_allocates) {
  histogram h;
  std::mt19937_64 rng(1);
  std::vector<std::uint64_t> values(100'000);
  for (auto& v : values) v = rng() >> (rng() % 64);  // every magnitude, beyond max_value too
  auto before = allocations_now();
  for (auto v : values) h.record(v);
  h.record(-5ns);
  h.record_n(123, 4);
  EXPECT_EQ(allocations_now(), before);
}

TEST(histogram, every_counter_holds_a_contiguous_range_of_at_most_one_part_in_1024) {
  std::uint64_t expected_lowest = 0;
  for (std::size_t i = 0; i < histogram::bucket_count; ++i) {
    auto lo = histogram::lowest_equivalent(i), hi = histogram::highest_equivalent(i);
    ASSERT_EQ(lo, expected_lowest) << i;
    ASSERT_EQ(histogram::index_of(lo), i);
    ASSERT_EQ(histogram::index_of(hi), i);
    ASSERT_LE(static_cast<double>(hi - lo + 1), std::max(1.0, static_cast<double>(lo) / 1024)) << i;
    expected_lowest = hi + 1;
  }
  EXPECT_EQ(histogram::index_of(histogram::max_value), histogram::bucket_count - 1);
}

TEST(histogram, values_below_2048_ns_are_exact) {
  for (std::uint64_t v = 0; v < 2048; ++v)
    ASSERT_EQ(histogram::highest_equivalent(histogram::index_of(v)), v);
}

// ---------------------------------------------------------------------------------------------
// Edge cases

TEST(histogram, empty_histogram_reports_zeros) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.stdev(), 0.0);
  for (double p : {0.0, 50.0, 99.9, 100.0}) EXPECT_EQ(h.value_at_percentile(p), 0u);
  EXPECT_EQ(h.buckets().begin(), h.buckets().end());
  EXPECT_EQ(h.serialize(), "h1 0 0 0 0");
}

TEST(histogram, values_above_one_hour_clamp_to_the_top_and_count_as_overflow) {
  histogram h;
  h.record(2h);
  h.record_n(histogram::max_value + 1, 3);
  h.record(30min);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.overflow(), 4u);
  EXPECT_EQ(h.max(), histogram::max_value);
  EXPECT_EQ(h.value_at_percentile(100), histogram::max_value);
  EXPECT_EQ(h.sum(), 4 * histogram::max_value + histogram::max_value / 2);
  auto back = histogram::deserialize(h.serialize());
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, h);
}

TEST(histogram, negative_durations_record_as_zero) {
  histogram h;
  h.record(-1ms);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(histogram, a_single_value_is_every_percentile) {
  histogram h;
  h.record(1234567);
  for (double p : {0.0, 1.0, 50.0, 100.0}) EXPECT_EQ(h.value_at_percentile(p), 1234567u) << p;
}

TEST(histogram, percentile_is_clamped_to_0_100_and_nan_means_min) {
  histogram h;
  for (std::uint64_t v : {500, 700, 900}) h.record(v);
  EXPECT_EQ(h.value_at_percentile(-10), 500u);
  EXPECT_EQ(h.value_at_percentile(std::nan("")), 500u);
  EXPECT_EQ(h.value_at_percentile(1000), 900u);
  EXPECT_EQ(h.value_at_percentile(50), 700u);
}

TEST(histogram, percentile_reports_the_highest_equivalent_value_clamped_to_max) {
  histogram h;
  h.record(10 * sec);  // counter width 8.4 ms at 10 s
  h.record(20 * sec);
  EXPECT_EQ(h.value_at_percentile(50),
            histogram::highest_equivalent(histogram::index_of(10 * sec)));
  EXPECT_EQ(h.value_at_percentile(100), 20 * sec);
}

TEST(histogram, record_n_equals_n_records_and_zero_is_a_no_op) {
  histogram once, many;
  once.record_n(3 * ms, 1000);
  for (int i = 0; i < 1000; ++i) many.record(3 * ms);
  EXPECT_EQ(once, many);
  once.record_n(1, 0);
  EXPECT_EQ(once, many);
}

TEST(histogram, merging_an_empty_histogram_changes_nothing) {
  auto h = filled({1 * us, 2 * ms, 3 * sec});
  auto copy = h;
  h.merge(histogram{});
  EXPECT_EQ(h, copy);
  histogram empty;
  empty.merge(h);
  EXPECT_EQ(empty, h);
}

TEST(histogram, a_digest_holds_only_the_non_empty_counters) {
  histogram h;
  for (std::uint64_t v : {5 * us, 5 * us, 7 * ms, 2 * sec}) h.record(v);
  histogram_digest d;
  h.digest(d);
  ASSERT_EQ(d.counters.size(), 3u);
  EXPECT_EQ(d.counters[0].index, histogram::index_of(5 * us));
  EXPECT_EQ(d.counters[0].count, 2u);
  EXPECT_LT(d.counters[1].index, d.counters[2].index);
  EXPECT_EQ(d.min, 5 * us);
  EXPECT_EQ(d.max, 2 * sec);
  EXPECT_EQ(d.sum, 10 * us + 7 * ms + 2 * sec);
  EXPECT_LT(d.counters.capacity() * sizeof(histogram_digest::counter), histogram::memory_bytes / 1000);
}

TEST(histogram, an_empty_digest_merges_as_nothing_and_allocates_nothing) {
  histogram empty, h;
  h.record(std::uint64_t{3 * ms});
  const histogram before = h;
  histogram_digest d;
  const auto allocations = allocations_now();
  empty.digest(d);
  EXPECT_EQ(allocations_now(), allocations);
  EXPECT_EQ(d.total, 0u);
  EXPECT_TRUE(d.counters.empty());
  h.merge(d);
  EXPECT_EQ(h, before);
}

TEST(histogram, a_digest_allocates_once_at_its_size) {
  histogram h;
  for (std::uint64_t v = 1; v <= 5000; ++v) h.record(v * 997);  // thousands of counters
  histogram_digest d;
  const auto allocations = allocations_now();
  h.digest(d);
  EXPECT_EQ(allocations_now() - allocations, 1u);
  EXPECT_EQ(d.counters.size(), d.counters.capacity());
}

TEST(histogram, reset_returns_to_the_empty_state) {
  auto h = filled({1 * us, 2 * ms, 3 * sec, 2 * histogram::max_value});
  h.reset();
  EXPECT_EQ(h, histogram{});
  h.record(5 * ms);
  EXPECT_EQ(h, filled({5 * ms}));
}

struct bad_text {
  const char* name;
  const char* text;
  const char* error;
};
const bad_text bad_texts[] = {
    {"empty_text", "", "bad histogram: expected the \"h1\" header"},
    {"unknown_version", "h2 0 0 0 0", "bad histogram: expected the \"h1\" header"},
    {"missing_field", "h1 0 0 0", "bad histogram: expected min, max, sum and overflow"},
    {"signed_field", "h1 -1 0 0 0", "bad histogram: expected min, max, sum and overflow"},
    {"junk_bucket", "h1 5 5 5 0 x", "bad histogram: malformed bucket \"x\""},
    {"zero_count", "h1 5 5 5 0 5:0", "bad histogram: malformed bucket \"5:0\""},
    {"repeated_index", "h1 5 5 10 0 5 0", "bad histogram: malformed bucket \"0\""},
    {"trailing_space", "h1 5 5 5 0 5 ", "bad histogram: malformed bucket \"\""},
    {"double_space", "h1 5 5 5 0  5", "bad histogram: malformed bucket \"\""},
    {"glued_header", "h10 0 0 0", "bad histogram: expected the \"h1\" header"},
    {"header_only", "h1", "bad histogram: expected min, max, sum and overflow"},
    {"index_out_of_range", "h1 5 5 5 0 33421", "bad histogram: bucket index out of range"},
    {"min_not_in_first_bucket", "h1 6 6 6 0 5",
     "bad histogram: min or max disagrees with the buckets"},
    {"max_not_in_last_bucket", "h1 5 5 11 0 5 1",
     "bad histogram: min or max disagrees with the buckets"},
    {"overflow_without_top_value", "h1 5 5 5 1 5",
     "bad histogram: overflow disagrees with the top bucket"},
    {"sum_too_large", "h1 5 5 99 0 5", "bad histogram: sum outside count × [min, max]"},
    {"empty_with_min", "h1 1 0 0 0", "bad histogram: empty but with a min, max, sum or overflow"},
    {"count_overflow", "h1 5 6 11 0 5:18446744073709551615 1", "bad histogram: count overflows"},
};

class deserialize_rejects : public testing::TestWithParam<bad_text> {};
TEST_P(deserialize_rejects, malformed_text) {
  auto r = histogram::deserialize(GetParam().text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), GetParam().error);
}
INSTANTIATE_TEST_SUITE_P(histogram, deserialize_rejects, testing::ValuesIn(bad_texts),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace barrage
