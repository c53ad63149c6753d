// HdrHistogram's V2 encoding of barrage's histograms: the counters map 1:1 onto HdrHistogram's
// counts array, the bytes follow the format (known answers, ZigZag LEB128 and base64 tables),
// and what is encoded decodes (hdr_decoder.hpp, written apart from the encoder) to the same counts.
#include "report/hdr_encoding.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "hdr_decoder.hpp"

namespace barrage::report {
namespace {

using bytes = std::vector<std::uint8_t>;

// HdrHistogram's index arithmetic for lowest discernible value 1 (unit magnitude 0) and 3
// significant digits (sub-bucket count 2048), as its AbstractHistogram defines it.
constexpr int sub_bucket_half_count_magnitude = 10;
constexpr std::int64_t sub_bucket_half_count = 1024;
constexpr std::uint64_t sub_bucket_mask = 2047;
constexpr int leading_zero_count_base = 64 - 0 - (sub_bucket_half_count_magnitude + 1);

std::int64_t hdr_counts_index(std::uint64_t value) {
  const int bucket = leading_zero_count_base - std::countl_zero(value | sub_bucket_mask);
  const auto sub_bucket = static_cast<std::int64_t>(value >> bucket);
  return (std::int64_t{bucket + 1} << sub_bucket_half_count_magnitude) + (sub_bucket - sub_bucket_half_count);
}

std::uint64_t hdr_value_from_index(std::int64_t index) {
  std::int64_t bucket = (index >> sub_bucket_half_count_magnitude) - 1;
  std::int64_t sub_bucket = (index & (sub_bucket_half_count - 1)) + sub_bucket_half_count;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_count;
    bucket = 0;
  }
  return static_cast<std::uint64_t>(sub_bucket) << bucket;
}

// HdrHistogram's counts array length for a highest trackable value.
std::int64_t hdr_counts_length(std::uint64_t highest) {
  std::uint64_t smallest_untrackable = 2048;
  std::int64_t buckets = 1;
  while (smallest_untrackable <= highest) {
    if (smallest_untrackable > (UINT64_MAX >> 1)) {
      ++buckets;
      break;
    }
    smallest_untrackable <<= 1;
    ++buckets;
  }
  return (buckets + 1) * sub_bucket_half_count;
}

std::vector<std::uint64_t> interesting_values() {
  std::vector<std::uint64_t> v = {0, 1, 2, 1023, 1024, 2047, 2048, 2049, 2050, 4095, 4096, histogram::max_value};
  for (unsigned k = 11; k < 42; ++k) {
    const std::uint64_t p = std::uint64_t{1} << k;
    for (std::uint64_t x : {p - 1, p, p + 1, p + (p >> 1), p + (p >> 10) - 1, p + (p >> 10)})
      if (x <= histogram::max_value) v.push_back(x);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20'000; ++i) v.push_back(rng() % (histogram::max_value + 1));
  for (int i = 0; i < 20'000; ++i) v.push_back(static_cast<std::uint64_t>(std::exp2(std::ldexp(rng() % 1000, -6))));
  return v;
}

TEST(hdr_encoding, every_counter_of_the_histogram_is_hdrhistograms_counter_of_the_same_index) {
  for (std::uint64_t v : interesting_values()) {
    ASSERT_EQ(static_cast<std::int64_t>(histogram::index_of(v)), hdr_counts_index(v)) << "value " << v;
  }
  for (std::size_t i = 0; i < histogram::bucket_count; ++i) {
    ASSERT_EQ(histogram::lowest_equivalent(i), hdr_value_from_index(static_cast<std::int64_t>(i))) << "index " << i;
    ASSERT_EQ(histogram::highest_equivalent(i), hdr_value_from_index(static_cast<std::int64_t>(i) + 1) - 1)
        << "index " << i;
  }
  // Every counter fits in the counts array of a histogram of the declared highest trackable value.
  EXPECT_LE(static_cast<std::int64_t>(histogram::bucket_count), hdr_counts_length(histogram::max_value));
}

struct zigzag_case {
  const char* name;
  std::int64_t value;
  bytes encoded;
};

TEST(hdr_encoding, zigzag_leb128_numbers_take_the_bytes_of_hdrhistograms_encoding) {
  const zigzag_case cases[] = {
      {"zero", 0, {0x00}},
      {"minus one", -1, {0x01}},
      {"one", 1, {0x02}},
      {"largest one byte", 63, {0x7e}},
      {"smallest two bytes", 64, {0x80, 0x01}},
      {"most negative one byte", -64, {0x7f}},
      {"a run of 65 zeros", -65, {0x81, 0x01}},
      {"a count of 300", 300, {0xd8, 0x04}},
      {"largest eight bytes", (std::int64_t{1} << 55) - 1, {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
      {"smallest nine bytes", std::int64_t{1} << 55, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}},
      {"largest int64: the ninth byte holds 8 bits", INT64_MAX, {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
      {"smallest int64", INT64_MIN, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
  };
  for (const auto& c : cases) {
    bytes out;
    append_zigzag(out, c.value);
    EXPECT_EQ(out, c.encoded) << c.name;
    std::size_t at = 0;
    EXPECT_EQ(test::read_zigzag(out, at), c.value) << c.name;
    EXPECT_EQ(at, out.size()) << c.name;
  }
}

TEST(hdr_encoding, base64_gives_rfc_4648s_test_vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}, {std::string("\xff\xfe\x00", 3), "//4A"},
  };
  for (const auto& [plain, encoded] : cases) {
    const bytes in(plain.begin(), plain.end());
    EXPECT_EQ(base64_encode(in), encoded) << plain;
    EXPECT_EQ(test::base64_decode(encoded), in) << encoded;
  }
}

TEST(hdr_encoding, a_histogram_of_the_value_one_is_these_42_bytes) {
  histogram h;
  h.record(std::uint64_t{1});
  const bytes expected = {
      0x1c, 0x84, 0x93, 0x13,                          // V2 cookie, word size nibble 1 (ZigZag LEB128)
      0x00, 0x00, 0x00, 0x02,                          // payload: 2 bytes
      0x00, 0x00, 0x00, 0x00,                          // normalizing index offset
      0x00, 0x00, 0x00, 0x03,                          // 3 significant digits
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // lowest discernible value: 1 ns
      0x00, 0x00, 0x03, 0x46, 0x30, 0xb8, 0xa0, 0x00,  // highest trackable: 3.6e12 ns, 1 h
      0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // integer to double ratio 1.0
      0x00,                                            // index 0: empty (a single zero is a count)
      0x02,                                            // index 1: 1
  };
  EXPECT_EQ(hdr_encode(h), expected);
}

struct histogram_case {
  const char* name;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> values;  // value, times
};

std::vector<histogram_case> histogram_cases() {
  std::vector<histogram_case> cases = {
      {"empty", {}},
      {"one zero", {{0, 1}}},
      {"first and last linear counters", {{0, 3}, {2047, 5}}},
      {"a run of exactly two empty counters", {{0, 1}, {3, 1}}},
      {"the top of the range and overflow", {{histogram::max_value, 2}, {histogram::max_value * 2, 1}}},
      {"a count that needs nine bytes", {{150'000, std::uint64_t{1} << 60}}},
      {"milliseconds with gaps", {{1'000'000, 10}, {1'500'000, 7}, {250'000'000, 1}, {3'000'000'000, 4}}},
  };
  histogram_case lognormal{"20k lognormal latencies around 2 ms", {}};
  std::mt19937_64 rng(11);
  std::lognormal_distribution<> d(std::log(2e6), 1.3);
  for (int i = 0; i < 20'000; ++i) lognormal.values.push_back({static_cast<std::uint64_t>(d(rng)), 1});
  cases.push_back(std::move(lognormal));
  return cases;
}

TEST(hdr_encoding, what_is_encoded_decodes_to_the_same_counts_at_the_same_indexes) {
  for (const auto& c : histogram_cases()) {
    histogram h;
    for (auto [v, n] : c.values) h.record_n(v, n);
    std::uint32_t cookie = 0;
    auto d = test::decode_base64(hdr_compressed_base64(h), &cookie);
    ASSERT_TRUE(d) << c.name;
    EXPECT_EQ(cookie, 0x1c849314u) << c.name;
    EXPECT_EQ(d->cookie, 0x1c849313u) << c.name;
    EXPECT_EQ(d->cookie & ~0xf0u, 0x1c849303u) << c.name;
    EXPECT_EQ(d->normalizing_offset, 0) << c.name;
    EXPECT_EQ(d->significant_digits, 3) << c.name;
    EXPECT_EQ(d->lowest_discernible, 1) << c.name;
    EXPECT_EQ(d->highest_trackable, static_cast<std::int64_t>(histogram::max_value)) << c.name;
    EXPECT_EQ(d->ratio, 1.0) << c.name;
    // The counts run exactly through the max value's index, as HdrHistogram writes them.
    EXPECT_EQ(d->counts.size(), histogram::index_of(h.max()) + 1) << c.name;
    histogram rebuilt;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < d->counts.size(); ++i) {
      total += d->counts[i];
      rebuilt.record_n(histogram::lowest_equivalent(i), d->counts[i]);
    }
    EXPECT_EQ(total, h.count()) << c.name;
    std::vector<histogram::bucket> expected(h.buckets().begin(), h.buckets().end());
    std::vector<histogram::bucket> got(rebuilt.buckets().begin(), rebuilt.buckets().end());
    ASSERT_EQ(got.size(), expected.size()) << c.name;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].lowest, expected[i].lowest) << c.name;
      EXPECT_EQ(got[i].count, expected[i].count) << c.name;
    }
    for (double p : {50.0, 90.0, 99.0, 99.99})
      EXPECT_EQ(histogram::index_of(rebuilt.value_at_percentile(p)), histogram::index_of(h.value_at_percentile(p)))
          << c.name << " p" << p;
  }
}

TEST(hdr_encoding, the_compressed_form_is_a_zlib_stream_far_smaller_than_the_counters) {
  histogram h;
  std::mt19937_64 rng(3);
  std::lognormal_distribution<> d(std::log(5e5), 0.8);
  for (int i = 0; i < 50'000; ++i) h.record(static_cast<std::uint64_t>(d(rng)));
  const bytes packed = hdr_encode_compressed(h);
  ASSERT_GT(packed.size(), 10u);
  EXPECT_EQ(packed[8], 0x78) << "zlib header: deflate, 32 KiB window";
  EXPECT_EQ(((packed[8] << 8) | packed[9]) % 31, 0) << "zlib header check bits";
  EXPECT_LT(packed.size(), 4'000u);
  EXPECT_LT(packed.size(), hdr_encode(h).size());
}

}  // namespace
}  // namespace barrage::report
