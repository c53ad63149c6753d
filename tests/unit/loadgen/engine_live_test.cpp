// What the engine hands its progress callback once a second, for --metrics-listen: cumulative
// totals merged over the workers, the latency so far, and each worker's loop.
#include <gtest/gtest.h>

#include <vector>

#include "loadgen/engine.hpp"
#include "peer_thread.hpp"

using namespace barrage;
using namespace barrage::loadgen;
using namespace std::chrono_literals;

namespace {

const std::string ok2 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

std::vector<live_snapshot> seconds_of(const run_config& c, result<run_result, std::string>& r) {
  std::vector<live_snapshot> seconds;
  r = run_load(c, [&](const live_snapshot& s) { seconds.push_back(s); });  // on this thread
  return seconds;
}

}  // namespace

TEST(engine_live, each_second_carries_growing_totals_the_latency_so_far_and_every_workers_loop) {
  test::peer_thread peer({test::send(ok2)});
  run_config c;
  c.url = peer.url();
  c.connections = 4;
  c.threads = 2;
  c.run_time = 2300ms;  // ticks at 1.1 s and 2.1 s
  c.has_duration = true;
  c.metrics.emplace();  // the workers sample their loops' lag
  result<run_result, std::string> r = fail(std::string("not run"));
  auto seconds = seconds_of(c, r);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_GE(seconds.size(), 2u);
  std::uint64_t before = 0;
  for (const auto& s : seconds) {
    EXPECT_GE(s.totals.started, before);
    before = s.totals.started;
    EXPECT_EQ(s.totals.succeeded, s.totals.status[200]);
    EXPECT_EQ(s.errors, s.totals.failed + s.totals.timed_out);
    ASSERT_EQ(s.loops.size(), 2u);
    EXPECT_GT(s.cpu_seconds, 0);
  }
  const live_snapshot& last = seconds.back();
  EXPECT_GT(last.totals.succeeded, 0u);
  EXPECT_LE(last.totals.succeeded, r->stats.count.succeeded);  // published at each worker's last second
  EXPECT_GT(last.latency.total, 0u);
  EXPECT_LE(last.latency.total, r->stats.latency.count());
  for (const auto& loop : last.loops) {
    EXPECT_GT(loop.lag_count, 50u);  // a 10 ms probe over 2 s
    EXPECT_GT(loop.busy_s, 0);
  }
}

TEST(engine_live, without_metrics_the_workers_do_not_sample_their_loops_lag) {
  test::peer_thread peer({test::send(ok2)});
  run_config c;
  c.url = peer.url();
  c.connections = 2;
  c.threads = 1;
  c.run_time = 1300ms;  // a tick at 1.1 s
  c.has_duration = true;
  result<run_result, std::string> r = fail(std::string("not run"));
  auto seconds = seconds_of(c, r);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_GE(seconds.size(), 1u);
  ASSERT_EQ(seconds.back().loops.size(), 1u);
  EXPECT_EQ(seconds.back().loops[0].lag_count, 0u);
}
