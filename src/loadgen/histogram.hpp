#pragma once
// histogram: an HDR-style (log-linear) latency histogram, the heart of the report.
//
// Values are nanoseconds. Layout, as in HdrHistogram with 3 significant digits: values below
// 2048 ns each get their own counter (exact); above, every power of two [2^k, 2^(k+1)) is split
// into 1024 equal sub-buckets, so a bucket's width is at most 1/1024 (< 0.1 %) of the values in
// it. That holds from 1 µs up to max_value = 1 h; sub-microsecond values cost nothing extra and
// are kept exactly. Values above 1 h are recorded as 1 h and counted in overflow(), so count()
// still includes them. A negative duration records as 0.
//
// Memory is fixed: bucket_count counters (memory_bytes = 267'368 bytes) allocated once by the
// constructor, whatever the length of the run. record() is O(1): a bit width, two shifts, a few
// adds; it never allocates. Not thread-safe: keep one per worker and merge() them.
// A moved-from histogram may only be destroyed or assigned to.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace barrage {

class histogram;

/// A histogram in compact form: its non-empty counters and its exact extremes, sum and count,
/// a few hundred bytes where the histogram holds memory_bytes. What a worker publishes once a
/// second: merging digests gives exactly the histogram that merging the originals would.
struct histogram_digest {
  struct counter {
    std::uint32_t index;  // histogram::index_of
    std::uint64_t count;
  };
  std::vector<counter> counters;  // by increasing index, none empty
  std::uint64_t total = 0;
  std::uint64_t overflow = 0;
  std::uint64_t sum = 0;
  std::uint64_t min = 0;  // as histogram::min(), max(): 0 when empty
  std::uint64_t max = 0;
};

class histogram {
 public:
  /// Highest value kept as such: one hour in nanoseconds.
  static constexpr std::uint64_t max_value = 3'600'000'000'000;

  /// The counter that holds `ns` (ns ≤ max_value).
  static constexpr std::size_t index_of(std::uint64_t ns) noexcept {
    // shift = 0 below 2048, else the power of two of the sub-bucket width.
    auto shift = static_cast<unsigned>(std::bit_width(ns | (linear_limit - 1))) - linear_bits;
    return (std::size_t{shift} << half_bits) + static_cast<std::size_t>(ns >> shift);
  }
  /// The smallest and largest values that land in counter `index`.
  static constexpr std::uint64_t lowest_equivalent(std::size_t index) noexcept {
    auto shift = index < linear_limit ? 0u : static_cast<unsigned>(index >> half_bits) - 1;
    return static_cast<std::uint64_t>(index - (std::size_t{shift} << half_bits)) << shift;
  }
  static constexpr std::uint64_t highest_equivalent(std::size_t index) noexcept {
    return lowest_equivalent(index + 1) - 1;
  }

  static constexpr std::size_t bucket_count = 33'421;  // index_of(max_value) + 1, checked below
  static constexpr std::size_t memory_bytes = bucket_count * sizeof(std::uint64_t);

  /// One non-empty counter: `count` values in [lowest, highest].
  struct bucket {
    std::uint64_t lowest;
    std::uint64_t highest;
    std::uint64_t count;
  };
  class bucket_iterator;
  struct bucket_range;

  histogram() : counts_(bucket_count, 0) {}

  void record(std::uint64_t ns) noexcept { record_n(ns, 1); }
  void record(duration d) noexcept {
    record(d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count()));
  }
  /// Records `n` occurrences of `ns` at once (n = 0 does nothing).
  void record_n(std::uint64_t ns, std::uint64_t n) noexcept {
    if (ns > max_value) [[unlikely]] {
      ns = max_value;
      overflow_ += n;
    }
    counts_[index_of(ns)] += n;
    total_ += n;
    sum_ += ns * n;
    if (n == 0) [[unlikely]]
      return;
    min_ = ns < min_ ? ns : min_;
    max_ = ns > max_ ? ns : max_;
  }

  std::uint64_t count() const noexcept { return total_; }
  /// How many recorded values exceeded max_value (recorded as max_value).
  std::uint64_t overflow() const noexcept { return overflow_; }
  /// Exact extremes of the (clamped) values; 0 when empty.
  std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  /// Exact sum of the (clamped) values; wraps only past 584 years of summed latency.
  std::uint64_t sum() const noexcept { return sum_; }
  /// Exact mean; 0 when empty.
  double mean() const noexcept;
  /// Population standard deviation, from bucket midpoints around the exact mean; 0 when empty.
  double stdev() const noexcept;

  /// HdrHistogram semantics: the value of the bucket where the cumulative count first reaches
  /// p % of count() (rank ceil(p/100 × count), at least 1), reported as the bucket's highest
  /// equivalent value clamped to max(). p is clamped to [0, 100]; p = 0 (or NaN) gives min().
  /// So the answer is ≥ the exact order statistic and within 0.1 % of it. 0 when empty.
  std::uint64_t value_at_percentile(double p) const noexcept;
  /// value_at_percentile of each of `ps` (increasing) into `out` (as many), in one pass over
  /// the buckets: what a report of many histograms wants.
  void values_at_percentiles(std::span<const double> ps, std::span<std::uint64_t> out) const noexcept;

  /// The non-empty buckets in increasing value order: for (bucket b : h.buckets()) ...
  bucket_range buckets() const noexcept;

  /// Adds every value of `other` (bucket-wise, exact).
  void merge(const histogram& other) noexcept;
  /// Adds every value of the histogram `d` was taken from, as merge() of it would.
  void merge(const histogram_digest& d) noexcept;
  /// This histogram in compact form, into `out` (its memory reused; at most one allocation).
  void digest(histogram_digest& out) const;
  /// Forgets every value; keeps the memory.
  void reset() noexcept;

  /// Compact, lossless text for the JSON report (only [ -~] characters):
  ///   "h1 <min> <max> <sum> <overflow> <gap>[:<count>] ..."
  /// one token per non-empty bucket; gap is its index minus the previous one's (the first is the
  /// index itself) and ":<count>" is left out when the count is 1.
  std::string serialize() const;
  static result<histogram, std::string> deserialize(std::string_view text);

  friend bool operator==(const histogram&, const histogram&) = default;

 private:
  static constexpr unsigned linear_bits = 11;  // 2 × 10^3 distinct values need 11 bits
  static constexpr std::uint64_t linear_limit = std::uint64_t{1} << linear_bits;
  static constexpr unsigned half_bits = linear_bits - 1;

  std::size_t first_index() const noexcept { return index_of(min_); }
  std::size_t last_index() const noexcept { return index_of(max_); }

  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t overflow_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;  // UINT64_MAX while empty, so record() needs no test for it
  std::uint64_t max_ = 0;
};

static_assert(histogram::bucket_count == histogram::index_of(histogram::max_value) + 1);

/// Walks the non-empty counters between the first and the last.
class histogram::bucket_iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = bucket;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = bucket;

  bucket_iterator() = default;
  bucket_iterator(const std::uint64_t* counts, std::size_t at, std::size_t end) noexcept
      : counts_(counts), at_(at), end_(end) {
    skip_empty();
  }
  bucket operator*() const noexcept {
    return {lowest_equivalent(at_), highest_equivalent(at_), counts_[at_]};
  }
  bucket_iterator& operator++() noexcept {
    ++at_;
    skip_empty();
    return *this;
  }
  bucket_iterator operator++(int) noexcept {
    auto before = *this;
    ++*this;
    return before;
  }
  bool operator==(const bucket_iterator& other) const noexcept { return at_ == other.at_; }

 private:
  void skip_empty() noexcept {
    while (at_ < end_ && counts_[at_] == 0) ++at_;
  }
  const std::uint64_t* counts_ = nullptr;
  std::size_t at_ = 0;
  std::size_t end_ = 0;
};

struct histogram::bucket_range {
  bucket_iterator first;
  bucket_iterator last;
  bucket_iterator begin() const noexcept { return first; }
  bucket_iterator end() const noexcept { return last; }
};

inline histogram::bucket_range histogram::buckets() const noexcept {
  if (total_ == 0) return {};
  std::size_t end = last_index() + 1;
  return {{counts_.data(), first_index(), end}, {counts_.data(), end, end}};
}

}  // namespace barrage
