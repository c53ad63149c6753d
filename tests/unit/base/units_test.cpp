#include "base/units.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace barrage {
namespace {

using namespace std::chrono;
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

struct duration_case {
  const char* name;
  const char* text;
  duration expected;
};
const duration_case valid_durations[] = {
    {"milliseconds", "250ms", 250ms},
    {"seconds", "2s", 2s},
    {"fractional_minutes", "1.5m", 90s},
    {"hours", "1h", 1h},
    {"microseconds", "500us", 500us},
    {"micro_sign", "500\xc2\xb5s", 500us},
    {"greek_mu", "500\xce\xbcs", 500us},
    {"nanoseconds", "100ns", 100ns},
    {"half_second", "0.5s", 500ms},
    {"bare_number_is_seconds", "10", 10s},
    {"bare_fraction_is_seconds", "0.25", 250ms},
    {"leading_point", ".5s", 500ms},
    {"zero", "0s", 0s},
    {"space_before_unit", "10 ms", 10ms},
    {"compound_minutes_seconds", "2m30s", 150s},
    {"compound_hours_minutes_seconds", "1h0m1s", 3601s},
    {"compound_fraction", "1m0.5s", 60500ms},
    {"sub_nanosecond_rounds_half_up", "1.5ns", 2ns},
    {"sub_nanosecond_rounds_down", "0.4ns", 0ns},
    {"trailing_fraction_zeros", "1.50000000000000000000000000s", 1500ms},
    {"long_leading_fraction_zeros", "0.00000000000000000000000000000000000000000001s", 0ns},
    {"leading_integer_zeros", "0000000000000000000000000002s", 2s},
    {"maximum", "9223372036.854775807s", duration::max()},
};

class valid_duration : public testing::TestWithParam<duration_case> {};
TEST_P(valid_duration, parses) {
  auto r = parse_duration(GetParam().text);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->count(), GetParam().expected.count());
}
INSTANTIATE_TEST_SUITE_P(units, valid_duration, testing::ValuesIn(valid_durations),
                         [](const auto& info) { return std::string(info.param.name); });

struct invalid_case {
  const char* name;
  const char* text;
  const char* message;  // the whole error text
};
const invalid_case invalid_durations[] = {
    {"unknown_unit", "10x", R"(bad duration "10x": unknown unit "x" (use ns, us, ms, s, m, h))"},
    {"empty", "", R"(bad duration "": empty)"},
    {"negative", "-5s", R"(bad duration "-5s": negative values are not allowed)"},
    {"unit_without_digits", "ms", R"(bad duration "ms": expected a number)"},
    {"point_without_digits", ".s", R"(bad duration ".s": expected digits after the decimal point)"},
    {"trailing_point", "5.s", R"(bad duration "5.s": expected digits after the decimal point)"},
    {"junk_after_unit", "10s!",
     R"(bad duration "10s!": unknown unit "s!" (use ns, us, ms, s, m, h))"},
    {"second_point", "1.5.3s", R"(bad duration "1.5.3s": unexpected ".3s" after "1.5")"},
    {"trailing_space", "10s ", R"(bad duration "10s ": unexpected " " after "10s")"},
    {"leading_space", " 10s", R"(bad duration " 10s": expected a number)"},
    {"missing_unit_in_compound", "1m30", R"(bad duration "1m30": missing unit after "30")"},
    {"nan", "nan", R"(bad duration "nan": expected a number)"},
    {"infinity", "inf", R"(bad duration "inf": expected a number)"},
    {"plus_sign", "+1s", R"(bad duration "+1s": expected a number)"},
    {"uppercase_unit", "10S", R"(bad duration "10S": unknown unit "S" (use ns, us, ms, s, m, h))"},
    {"years_are_not_a_unit", "1y",
     R"(bad duration "1y": unknown unit "y" (use ns, us, ms, s, m, h))"},
    {"one_past_maximum", "9223372036.854775808s",
     R"(bad duration "9223372036.854775808s": too large (the maximum is about 292 years))"},
    {"overflowing_hours", "2562048h",
     R"(bad duration "2562048h": too large (the maximum is about 292 years))"},
    {"too_many_digits", "99999999999999999999s",
     R"(bad duration "99999999999999999999s": too large)"},
    {"control_bytes_escaped", "1\ns",
     R"(bad duration "1\x0as": unknown unit "\x0as" (use ns, us, ms, s, m, h))"},
    {"long_text_truncated", "1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     R"(bad duration "1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": unknown unit )"
     R"("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..." (use ns, us, ms, s, m, h))"},
};

class invalid_duration : public testing::TestWithParam<invalid_case> {};
TEST_P(invalid_duration, is_rejected_with_a_clear_message) {
  auto r = parse_duration(GetParam().text);
  ASSERT_FALSE(r.ok()) << r->count();
  EXPECT_EQ(r.error(), GetParam().message);
}
INSTANTIATE_TEST_SUITE_P(units, invalid_duration, testing::ValuesIn(invalid_durations),
                         [](const auto& info) { return std::string(info.param.name); });

struct number_case {
  const char* name;
  const char* text;
  std::uint64_t expected;
};
const number_case valid_counts[] = {
    {"plain", "1000", 1000},
    {"zero", "0", 0},
    {"kilo", "10k", 10'000},
    {"uppercase_kilo", "10K", 10'000},
    {"fractional_mega", "1.5m", 1'500'000},
    {"mega", "2M", 2'000'000},
    {"giga", "3G", 3'000'000'000},
    {"lowercase_giga", "3g", 3'000'000'000},
    {"tera", "1T", 1'000'000'000'000},
    {"fraction_giving_whole", "1.5k", 1500},
    {"fine_fraction_giving_whole", "1.001k", 1001},
    {"whole_with_point_zero", "7.0", 7},
    {"space_before_suffix", "12.3 k", 12'300},
    {"maximum", "18446744073709551615", u64_max},
    {"exa", "18.4E", 18'400'000'000'000'000'000u},
};

class valid_count : public testing::TestWithParam<number_case> {};
TEST_P(valid_count, parses) {
  auto r = parse_count(GetParam().text);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, GetParam().expected);
}
INSTANTIATE_TEST_SUITE_P(units, valid_count, testing::ValuesIn(valid_counts),
                         [](const auto& info) { return std::string(info.param.name); });

const invalid_case invalid_counts[] = {
    {"fraction", "1.5", R"(bad count "1.5": not a whole number)"},
    {"fraction_of_kilo", "0.0001k", R"(bad count "0.0001k": not a whole number)"},
    {"negative", "-1", R"(bad count "-1": negative values are not allowed)"},
    {"empty", "", R"(bad count "": empty)"},
    {"unknown_suffix", "10x", R"(bad count "10x": unknown unit "x" (use k, M, G, T, P, E))"},
    {"two_letter_suffix", "10kk", R"(bad count "10kk": unknown unit "kk" (use k, M, G, T, P, E))"},
    {"exponent", "1e3", R"(bad count "1e3": exponent notation is not supported (use k, M, G))"},
    {"one_past_maximum", "18446744073709551616", R"(bad count "18446744073709551616": too large)"},
    {"overflow_with_suffix", "19E", R"(bad count "19E": too large (the maximum is 18.4E))"},
    {"junk_after_suffix", "10k5", R"(bad count "10k5": unexpected "5" after "10k")"},
    {"fraction_digits_beyond_precision", "1.00000000000000000001k",
     R"(bad count "1.00000000000000000001k": too many digits)"},
};

class invalid_count : public testing::TestWithParam<invalid_case> {};
TEST_P(invalid_count, is_rejected_with_a_clear_message) {
  auto r = parse_count(GetParam().text);
  ASSERT_FALSE(r.ok()) << *r;
  EXPECT_EQ(r.error(), GetParam().message);
}
INSTANTIATE_TEST_SUITE_P(units, invalid_count, testing::ValuesIn(invalid_counts),
                         [](const auto& info) { return std::string(info.param.name); });

const number_case valid_sizes[] = {
    {"plain_bytes", "512", 512},
    {"bytes_unit", "512B", 512},
    {"si_kilo_letter", "64k", 64'000},
    {"si_kilobytes", "64KB", 64'000},
    {"si_megabytes", "1MB", 1'000'000},
    {"si_gigabytes", "2GB", 2'000'000'000},
    {"binary_kibibytes", "64KiB", 65'536},
    {"binary_without_b", "64Ki", 65'536},
    {"binary_mebibytes", "1MiB", 1'048'576},
    {"binary_gibibytes", "1GiB", 1'073'741'824},
    {"case_insensitive", "1mib", 1'048'576},
    {"fractional_binary", "1.5KiB", 1'536},
    {"fraction_rounds_to_byte", "1.23 KiB", 1'260},
    {"formatted_text", "1.50 MiB", 1'572'864},
    {"maximum_binary", "15.9 EiB", 18'331'451'923'248'866'918u},
    {"zero", "0", 0},
};

class valid_size : public testing::TestWithParam<number_case> {};
TEST_P(valid_size, parses) {
  auto r = parse_size(GetParam().text);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, GetParam().expected);
}
INSTANTIATE_TEST_SUITE_P(units, valid_size, testing::ValuesIn(valid_sizes),
                         [](const auto& info) { return std::string(info.param.name); });

const invalid_case invalid_sizes[] = {
    {"unknown_unit", "64X",
     R"(bad size "64X": unknown unit "X" (use B, kB, MB, GB, KiB, MiB, GiB))"},
    {"bits_spelled_out", "64kbit",
     R"(bad size "64kbit": unknown unit "kbit" (use B, kB, MB, GB, KiB, MiB, GiB))"},
    {"negative", "-1KiB", R"(bad size "-1KiB": negative values are not allowed)"},
    {"empty", "", R"(bad size "": empty)"},
    {"overflow", "16EiB", R"(bad size "16EiB": too large (the maximum is 16 EiB))"},
    {"two_spaces", "1  MiB", R"(bad size "1  MiB": unexpected "  MiB" after "1")"},
};

class invalid_size : public testing::TestWithParam<invalid_case> {};
TEST_P(invalid_size, is_rejected_with_a_clear_message) {
  auto r = parse_size(GetParam().text);
  ASSERT_FALSE(r.ok()) << *r;
  EXPECT_EQ(r.error(), GetParam().message);
}
INSTANTIATE_TEST_SUITE_P(units, invalid_size, testing::ValuesIn(invalid_sizes),
                         [](const auto& info) { return std::string(info.param.name); });

struct rate_case {
  const char* name;
  const char* text;
  double expected;
};
const rate_case valid_rates[] = {
    {"whole", "1000", 1000.0}, {"fractional", "2.5", 2.5},
    {"kilo", "10k", 10'000.0}, {"fractional_kilo", "1.5k", 1'500.0},
    {"tenth", "0.1", 0.1},     {"tiny", "0.001", 0.001},
};

class valid_rate : public testing::TestWithParam<rate_case> {};
TEST_P(valid_rate, parses) {
  auto r = parse_rate(GetParam().text);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_DOUBLE_EQ(*r, GetParam().expected);
}
INSTANTIATE_TEST_SUITE_P(units, valid_rate, testing::ValuesIn(valid_rates),
                         [](const auto& info) { return std::string(info.param.name); });

const invalid_case invalid_rates[] = {
    {"zero", "0", R"(bad rate "0": must be greater than 0)"},
    {"zero_with_fraction", "0.000", R"(bad rate "0.000": must be greater than 0)"},
    {"negative", "-5", R"(bad rate "-5": negative values are not allowed)"},
    {"empty", "", R"(bad rate "": empty)"},
    {"unknown_suffix", "10/s", R"(bad rate "10/s": unknown unit "/s" (use k, M, G))"},
    {"nan", "NaN", R"(bad rate "NaN": expected a number)"},
};

class invalid_rate : public testing::TestWithParam<invalid_case> {};
TEST_P(invalid_rate, is_rejected_with_a_clear_message) {
  auto r = parse_rate(GetParam().text);
  ASSERT_FALSE(r.ok()) << *r;
  EXPECT_EQ(r.error(), GetParam().message);
}
INSTANTIATE_TEST_SUITE_P(units, invalid_rate, testing::ValuesIn(invalid_rates),
                         [](const auto& info) { return std::string(info.param.name); });

struct duration_text_case {
  const char* name;
  duration value;
  const char* text;
};
const duration_text_case formatted_durations[] = {
    {"zero", 0ns, "0ns"},
    {"nanoseconds_exact", 999ns, "999ns"},
    {"one_microsecond", 1us, "1.00us"},
    {"microseconds_three_digits", 12'345ns, "12.3us"},
    {"microseconds_round_half_up", 12'350ns, "12.4us"},
    {"rounds_up_into_milliseconds", 999'500ns, "1.00ms"},
    {"milliseconds", 250ms, "250ms"},
    {"seconds", 1500ms, "1.50s"},
    {"just_under_a_minute", 59'940ms, "59.9s"},
    {"rounds_up_into_minutes", 59'960ms, "1m"},
    {"minutes_and_seconds", 150s, "2m30s"},
    {"whole_minutes", 120s, "2m"},
    {"seconds_rounded_in_long_form", 150'600ms, "2m31s"},
    {"whole_hour", 1h, "1h"},
    {"hour_and_minute", 61min, "1h1m"},
    {"hour_and_second", 3601s, "1h0m1s"},
    {"negative", -250ms, "-250ms"},
    {"maximum_rounds_down", duration::max(), "2562047h47m16s"},
};

class formatted_duration : public testing::TestWithParam<duration_text_case> {};
TEST_P(formatted_duration, reads_well_and_parses_back) {
  const auto& c = GetParam();
  EXPECT_EQ(format_duration(c.value), c.text);
  if (c.value < 0ns) return;
  auto back = parse_duration(c.text);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(format_duration(*back), c.text);
}
INSTANTIATE_TEST_SUITE_P(units, formatted_duration, testing::ValuesIn(formatted_durations),
                         [](const auto& info) { return std::string(info.param.name); });

struct number_text_case {
  const char* name;
  std::uint64_t value;
  const char* text;
};
const number_text_case formatted_counts[] = {
    {"small_exact", 999, "999"},
    {"zero", 0, "0"},
    {"one_thousand", 1'000, "1.00k"},
    {"three_digits", 12'345, "12.3k"},
    {"hundreds_of_thousands", 123'456, "123k"},
    {"rounds_up_into_millions", 999'500, "1.00M"},
    {"billions", 2'500'000'000, "2.50G"},
    {"maximum", u64_max, "18.4E"},
};

class formatted_count : public testing::TestWithParam<number_text_case> {};
TEST_P(formatted_count, reads_well_and_parses_back) {
  EXPECT_EQ(format_count(GetParam().value), GetParam().text);
  auto back = parse_count(GetParam().text);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(format_count(*back), GetParam().text);
}
INSTANTIATE_TEST_SUITE_P(units, formatted_count, testing::ValuesIn(formatted_counts),
                         [](const auto& info) { return std::string(info.param.name); });

const number_text_case formatted_sizes[] = {
    {"small_exact", 512, "512 B"},
    {"just_under_a_kibibyte", 1'023, "1023 B"},
    {"one_kibibyte", 1'024, "1.00 KiB"},
    {"sixty_four_kibibytes", 65'536, "64.0 KiB"},
    {"one_and_a_half_mebibytes", 1'572'864, "1.50 MiB"},
    {"four_digits_below_next_unit", 1'023 * 1'024, "1023 KiB"},
    {"rounds_up_into_next_unit", 1'048'575, "1.00 MiB"},
    {"gibibytes", 3'221'225'472, "3.00 GiB"},
    {"maximum_rounds_down", u64_max, "15.9 EiB"},
};

class formatted_size : public testing::TestWithParam<number_text_case> {};
TEST_P(formatted_size, reads_well_and_parses_back) {
  EXPECT_EQ(format_bytes(GetParam().value), GetParam().text);
  auto back = parse_size(GetParam().text);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(format_bytes(*back), GetParam().text);
}
INSTANTIATE_TEST_SUITE_P(units, formatted_size, testing::ValuesIn(formatted_sizes),
                         [](const auto& info) { return std::string(info.param.name); });

// Random values spread over every magnitude: format → parse → format is stable and the parsed
// value is within the three-digit rounding of the original.
std::uint64_t log_uniform(std::mt19937_64& rng, std::uint64_t max) {
  auto bits = static_cast<int>(rng() % 64);
  auto v = rng() >> (63 - bits);
  return std::min(v, max);
}

double relative_error(double a, double b) { return b == 0 ? std::abs(a) : std::abs(a - b) / b; }

TEST(units, formatted_durations_round_trip_within_rounding) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20'000; ++i) {
    auto ns = static_cast<std::int64_t>(log_uniform(rng, duration::max().count()));
    auto text = format_duration(duration{ns});
    auto back = parse_duration(text);
    ASSERT_TRUE(back.ok()) << back.error();
    ASSERT_EQ(format_duration(*back), text) << ns;
    ASSERT_LE(relative_error(static_cast<double>(back->count()), static_cast<double>(ns)), 0.01)
        << text;
  }
}

TEST(units, formatted_counts_and_sizes_round_trip_within_rounding) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 20'000; ++i) {
    auto n = log_uniform(rng, u64_max);
    auto count = parse_count(format_count(n));
    auto size = parse_size(format_bytes(n));
    ASSERT_TRUE(count.ok() && size.ok()) << n;
    ASSERT_EQ(format_count(*count), format_count(n));
    ASSERT_EQ(format_bytes(*size), format_bytes(n));
    ASSERT_LE(relative_error(static_cast<double>(*count), static_cast<double>(n)), 0.01) << n;
    ASSERT_LE(relative_error(static_cast<double>(*size), static_cast<double>(n)), 0.01) << n;
  }
}

}  // namespace
}  // namespace barrage
