// run_stats keeps one latency histogram in the closed model (a request is sent at its
// intended time, so corrected and uncorrected are one) and two in the open model.
#include "loadgen/stats.hpp"

#include <gtest/gtest.h>

using namespace barrage;
using namespace barrage::loadgen;

namespace {

client::outcome ok() {
  client::outcome o;
  o.status = 200;
  return o;
}

}  // namespace

TEST(run_stats, the_closed_model_records_one_histogram_read_as_both) {
  run_stats s;
  s.record(ok(), 5'000, 5'000, success_policy{});
  EXPECT_EQ(&s.latency_uncorrected(), &s.latency);
  EXPECT_EQ(s.latency.count(), 1u);
}

TEST(run_stats, the_open_model_keeps_the_uncorrected_latency_apart) {
  run_stats s;
  s.keep_uncorrected();
  s.record(ok(), 9'000'000, 1'000, success_policy{});
  EXPECT_NE(&s.latency_uncorrected(), &s.latency);
  EXPECT_EQ(s.latency.max(), 9'000'000u);
  EXPECT_EQ(s.latency_uncorrected().max(), 1'000u);
}

TEST(run_stats, merging_open_model_stats_keeps_the_uncorrected_histogram) {
  run_stats a, b, total;
  a.keep_uncorrected();
  b.keep_uncorrected();
  a.record(ok(), 3'000, 1'000, success_policy{});
  b.record(ok(), 4'000, 2'000, success_policy{});
  total.merge(a);
  total.merge(b);
  EXPECT_EQ(total.latency.count(), 2u);
  ASSERT_NE(&total.latency_uncorrected(), &total.latency);
  EXPECT_EQ(total.latency_uncorrected().count(), 2u);
  EXPECT_EQ(total.latency_uncorrected().max(), 2'000u);
}
