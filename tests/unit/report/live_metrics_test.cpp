#include "report/live_metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loadgen/report_json.hpp"

namespace barrage::report {
namespace {

using namespace std::chrono_literals;

histogram_digest digest_of(std::initializer_list<std::uint64_t> ns) {
  histogram h;
  for (auto v : ns) h.record(v);
  histogram_digest d;
  h.digest(d);
  return d;
}

struct bucket_case {
  const char* name;
  std::vector<std::uint64_t> latencies_ns;
  std::vector<double> bounds_s;
  std::vector<std::uint64_t> expected;  // per bound, then +Inf
};

TEST(live_metrics, latencies_fall_in_the_first_bucket_whose_bound_holds_them) {
  const std::vector<bucket_case> cases{
      {"nothing recorded", {}, {0.001, 0.01}, {0, 0, 0}},
      {"exact values below 2 us sit on their bound", {1000, 1001}, {0.000001, 0.00001}, {1, 1, 0}},
      {"each value in its bucket", {500'000, 5'000'000, 50'000'000}, {0.001, 0.01}, {1, 1, 1}},
      {"above the last bound: +Inf", {2'000'000'000}, {0.5, 1}, {0, 0, 1}},
      {"a value just past a bound is never put below it", {1'000'100}, {0.001}, {0, 1}},
      {"a value on a bound its counter reaches past goes above it", {5'000'000}, {0.005}, {0, 1}},
      {"no bounds: all in +Inf", {1, 2, 3}, {}, {3}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    histogram h;
    for (auto v : c.latencies_ns) h.record(v);
    histogram_digest d;
    h.digest(d);
    EXPECT_EQ(bucket_counts(d, c.bounds_s), c.expected);
  }
}

TEST(live_metrics, a_live_second_carries_the_engines_cumulative_figures) {
  loadgen::live_snapshot s;
  s.totals.started = 12;
  s.totals.succeeded = 10;
  s.totals.failed = 1;
  s.totals.status[200] = 10;
  s.latency = digest_of({400'000, 3'000'000, 3'000'000});
  s.open_connections = 4;
  s.requests_per_second = 9;
  s.target_rate = 10;
  s.cpu_seconds = 0.75;
  s.rss_bytes = 4096;
  s.open_fds = 9;
  s.loops.resize(2);
  s.loops[1].lag_buckets[0] = 5;
  s.loops[1].busy_s = 0.25;
  const std::vector<double> bounds{0.001, 0.005};
  auto m = live_metrics(s, bounds);
  EXPECT_EQ(m.totals.started, 12u);
  EXPECT_EQ(m.totals.in_flight(), 1u);
  EXPECT_EQ(m.latency_buckets, (std::vector<std::uint64_t>{1, 2, 0}));
  EXPECT_DOUBLE_EQ(m.latency_sum_s, 0.0064);
  EXPECT_EQ(m.open_connections, 4u);
  EXPECT_EQ(m.target_rate, 10.0);
  EXPECT_EQ(m.achieved_rate, 9.0);
  ASSERT_EQ(m.loops.size(), 2u);
  EXPECT_EQ(m.loops[1].lag_buckets.size(), m.lag_bounds_s.size() + 1);
  EXPECT_EQ(m.loops[1].lag_buckets[0], 5u);
  EXPECT_EQ(m.loops[1].busy_s, 0.25);
  EXPECT_FALSE(m.finished);
}

TEST(live_metrics, after_the_run_the_page_holds_the_json_reports_totals_exactly) {
  loadgen::run_result r;
  auto& st = r.stats;
  client::outcome ok;
  ok.status = 200;
  client::outcome unavailable;
  unavailable.status = 503;
  client::outcome timed_out;
  timed_out.error = client::error_kind::timeout;
  loadgen::success_policy policy;
  for (int i = 0; i < 7; ++i) {
    st.count.started++;
    st.record(ok, 1'000'000 * (i + 1), 0, policy);
  }
  st.count.started += 3;
  st.record(unavailable, 2'000'000, 0, policy);
  st.record(timed_out, 10'000'000, 0, policy);  // the third is still in flight
  r.duration_s = 2;

  const std::vector<double> bounds{0.0025, 0.005};
  auto m = empty_metrics(bounds);
  m.open_connections = 3;
  settle(m, r, 1.5, 8192, 7);
  const auto json = loadgen::to_json(r);
  EXPECT_EQ(m.totals.succeeded, json["requests"]["succeeded"].get<std::uint64_t>());
  EXPECT_EQ(m.totals.failed, json["requests"]["failed"].get<std::uint64_t>());
  EXPECT_EQ(m.totals.timed_out, json["requests"]["timed_out"].get<std::uint64_t>());
  EXPECT_EQ(m.totals.in_flight(), json["requests"]["in_flight_at_end"].get<std::uint64_t>());
  EXPECT_EQ(m.totals.status[503], json["status_codes"]["503"].get<std::uint64_t>());
  // 1-2 ms, 3-4 ms, then 5-7 ms: 5 ms shares its counter with values up to 5.0012 ms, above the bound.
  EXPECT_EQ(m.latency_buckets, (std::vector<std::uint64_t>{2, 2, 3}));
  EXPECT_EQ(m.latency_buckets[0] + m.latency_buckets[1] + m.latency_buckets[2], json["histogram"]["count"].get<std::uint64_t>());
  EXPECT_DOUBLE_EQ(m.latency_sum_s, 0.028);
  EXPECT_EQ(m.open_connections, 0u);
  EXPECT_DOUBLE_EQ(m.achieved_rate, 4.5);  // 9 completed over 2 s
  EXPECT_EQ(m.cpu_seconds, 1.5);
  EXPECT_TRUE(m.finished);
  EXPECT_NE(render_prometheus(m).find("barrage_requests_total{outcome=\"succeeded\"} 7\n"), std::string::npos);
}

}  // namespace
}  // namespace barrage::report
