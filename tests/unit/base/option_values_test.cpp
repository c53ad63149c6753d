#include "base/option_values.hpp"

#include <gtest/gtest.h>

#include <string>

namespace barrage {
namespace {

using namespace std::chrono;

struct count_case {
  const char* name;
  const char* text;
  bool ok;
  std::uint64_t value;
  const char* error;  // the whole error when not ok
};
const count_case count_cases[] = {
    {"low_edge", "1", true, 1, ""},
    {"high_edge", "1k", true, 1000, ""},
    {"inside", "500", true, 500, ""},
    {"empty", "", false, 0, "bad count \"\": empty"},
    {"negative", "-1", false, 0, "bad count \"-1\": negative values are not allowed"},
    {"zero", "0", false, 0, "bad count \"0\": must be between 1 and 1000"},
    {"above", "1001", false, 0, "bad count \"1001\": must be between 1 and 1000"},
    {"beyond_64_bits", "18446744073709551616", false, 0, "bad count \"18446744073709551616\": too large"},
    {"trailing_garbage", "10 apples", false, 0, "bad count \"10 apples\": unknown unit \"apples\" (use k, M, G, T, P, E)"},
    {"wrong_unit", "10ms", false, 0, "bad count \"10ms\": unknown unit \"ms\" (use k, M, G, T, P, E)"},
};
class count_in_range : public ::testing::TestWithParam<count_case> {};
TEST_P(count_in_range, is_accepted_only_between_the_bounds) {
  const auto& c = GetParam();
  auto r = parse_count_in(c.text, 1, 1000);
  ASSERT_EQ(r.ok(), c.ok) << (r ? std::to_string(*r) : r.error());
  if (c.ok) EXPECT_EQ(*r, c.value);
  else EXPECT_EQ(r.error(), c.error);
}
INSTANTIATE_TEST_SUITE_P(option_values, count_in_range, ::testing::ValuesIn(count_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(duration_in_range, says_above_zero_at_least_or_at_most) {
  EXPECT_EQ(*parse_duration_in("10s", 1ns, max_option_duration), 10s);
  EXPECT_EQ(parse_duration_in("0s", 1ns, max_option_duration).error(), "bad duration \"0s\": must be above 0");
  EXPECT_EQ(parse_duration_in("1s", 2s, max_option_duration).error(), "bad duration \"1s\": must be at least 2.00s");
  EXPECT_EQ(parse_duration_in("8761h", 0s, max_option_duration).error(), "bad duration \"8761h\": must be at most 8760h");
  EXPECT_EQ(parse_duration_in("-1s", 0s, max_option_duration).error(),
            "bad duration \"-1s\": negative values are not allowed");
}

TEST(option_reader, keeps_defaults_for_absent_options_and_stops_at_the_first_error) {
  option_reader in;
  std::uint64_t a = 7, b = 0, c = 0;
  auto parse = [](std::string_view t) { return parse_count_in(t, 1, 10); };
  in.read("--a", std::nullopt, parse, a);
  in.read("--b", std::string("0"), parse, b);
  in.read("--c", std::string("5"), parse, c);
  in.refuse("later problem");
  EXPECT_EQ(a, 7u);
  EXPECT_EQ(c, 0u);  // not read after the error
  ASSERT_TRUE(in.error().has_value());
  EXPECT_EQ(*in.error(), "--b: bad count \"0\": must be between 1 and 10");
}

}  // namespace
}  // namespace barrage
