// run_load's second observer (what --hdr-log writes): every success of the run is in exactly one
// observed second, corrected and (open model) uncorrected, in increasing second order.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

#include "loadgen/engine.hpp"
#include "peer_thread.hpp"

using namespace barrage;
using namespace barrage::loadgen;
using namespace std::chrono_literals;

namespace {

const std::string ok2 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

struct observed {
  histogram corrected, uncorrected;
  std::vector<std::uint64_t> seconds;
  std::vector<std::chrono::system_clock::time_point> starts;
  bool any_uncorrected = false;
};

second_observer collect(observed& o) {
  return [&o](const second_latencies& s) {
    o.seconds.push_back(s.second);
    o.starts.push_back(s.run_start);
    o.corrected.merge(s.corrected);
    if (s.uncorrected) {
      o.any_uncorrected = true;
      o.uncorrected.merge(*s.uncorrected);
    }
  };
}

void expect_increasing_from_zero(const std::vector<std::uint64_t>& seconds) {
  for (std::size_t i = 0; i < seconds.size(); ++i) EXPECT_EQ(seconds[i], i);
}

}  // namespace

TEST(second_observer, the_open_models_seconds_add_up_to_the_runs_corrected_and_uncorrected_histograms) {
  test::peer_thread peer({test::pause(2ms), test::send(ok2)});
  run_config c;
  c.url = peer.url();
  c.rate = 300;
  c.connections = 20;
  c.threads = 2;
  c.run_time = 1200ms;
  c.has_duration = true;
  observed o;
  const auto before = std::chrono::system_clock::now();
  auto r = run_load(c, {}, nullptr, collect(o));
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_GT(r->stats.latency.count(), 300u);
  EXPECT_EQ(o.corrected, r->stats.latency);
  EXPECT_TRUE(o.any_uncorrected);
  EXPECT_EQ(o.uncorrected, r->stats.latency_uncorrected());
  EXPECT_EQ(o.seconds.size(), r->timeline.size());
  expect_increasing_from_zero(o.seconds);
  for (auto s : o.starts) {
    EXPECT_EQ(s, o.starts.front());
    EXPECT_GE(s, before);
    EXPECT_LT(s, before + 2s);
  }
}

TEST(second_observer, the_closed_models_seconds_add_up_to_the_runs_histogram_with_no_uncorrected_one) {
  test::peer_thread peer({test::send(ok2)});
  run_config c;
  c.url = peer.url();
  c.connections = 4;
  c.threads = 2;
  c.requests = 2000;
  observed o;
  auto r = run_load(c, {}, nullptr, collect(o));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.latency.count(), 2000u);
  EXPECT_EQ(o.corrected, r->stats.latency);
  EXPECT_FALSE(o.any_uncorrected);
  EXPECT_FALSE(o.seconds.empty());
  expect_increasing_from_zero(o.seconds);
}
