#include "http/parse_error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace barrage::http {
namespace {

TEST(parse_error, names_every_kind_distinctly) {
  std::set<std::string> names;
  const int last = static_cast<int>(parse_error::truncated_body);
  for (int e = 0; e <= last; ++e) {
    const std::string name = to_string(static_cast<parse_error>(e));
    EXPECT_NE(name, "unknown_parse_error") << e;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(std::string(to_string(parse_error::bad_content_length)), "bad_content_length");
}

TEST(parse_error, builds_statuses) {
  EXPECT_TRUE(parse_status::need_more().incomplete());
  EXPECT_EQ(parse_status::done(7).consumed, 7u);
  EXPECT_TRUE(parse_status::done(7).complete());
  EXPECT_EQ(parse_status::failed(parse_error::obs_fold).error, parse_error::obs_fold);
  EXPECT_TRUE(parse_status::failed(parse_error::obs_fold).is_error());
}

}  // namespace
}  // namespace barrage::http
