// The WebSocket timeline (ws_timeline.hpp): a worker's seconds cut at whole seconds from the
// run's start, quiet seconds published with the connections held, what comes after the end
// kept in the last second; the workers' seconds merged with exact percentiles.
#include <gtest/gtest.h>

#include "loadgen/ws_timeline.hpp"

namespace barrage::loadgen {
namespace {

using namespace std::chrono;

const time_point t0 = time_point{} + hours(1);

time_point at_ms(std::int64_t ms) { return t0 + milliseconds(ms); }

TEST(ws_timeline, a_run_has_one_second_per_started_second_and_at_least_one) {
  EXPECT_EQ(ws_timeline_seconds(seconds(3)), 3u);
  EXPECT_EQ(ws_timeline_seconds(milliseconds(3500)), 4u);
  EXPECT_EQ(ws_timeline_seconds(nanoseconds(1)), 1u);
  EXPECT_EQ(ws_timeline_seconds(duration::zero()), 1u);
}

TEST(ws_timeline, events_fall_in_the_second_they_happened_and_a_boundary_starts_the_next) {
  ws_timeline_recorder rec(t0, 3);
  rec.opened(at_ms(100));
  rec.opened(at_ms(150));
  rec.sent(at_ms(200));
  rec.received(t0 + nanoseconds(999'999'999));
  rec.timed(t0 + nanoseconds(999'999'999), 2'000'000);
  EXPECT_TRUE(rec.take().empty());  // second 0 has not ended
  rec.received(t0 + seconds(1));    // exactly on the boundary: second 1
  rec.timed(t0 + seconds(1), 4'000'000);
  rec.dropped(at_ms(2500));
  rec.reconnected(at_ms(2600));
  rec.failed(at_ms(2700));
  rec.received(at_ms(3400));  // the grace period's reply: in the last second
  rec.closed(at_ms(3450));    // the peer's Close after the end: in the last second too
  rec.finish(t0 + seconds(3));
  const auto s = rec.take();
  ASSERT_EQ(s.size(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) EXPECT_EQ(s[i].second, i);
  EXPECT_EQ(s[0].counts.opened, 2u);
  EXPECT_EQ(s[0].counts.held, 2u);
  EXPECT_EQ(s[0].counts.sent, 1u);
  EXPECT_EQ(s[0].counts.received, 1u);
  EXPECT_EQ(s[0].times.total, 1u);
  EXPECT_EQ(s[0].times.max, 2'000'000u);
  EXPECT_EQ(s[1].counts.received, 1u);
  EXPECT_EQ(s[1].counts.held, 2u);
  EXPECT_EQ(s[1].times.total, 1u);
  EXPECT_EQ(s[2].counts.dropped, 1u);
  EXPECT_EQ(s[2].counts.reconnected, 1u);
  EXPECT_EQ(s[2].counts.failed, 1u);
  EXPECT_EQ(s[2].counts.received, 1u);
  EXPECT_EQ(s[2].counts.closed, 1u);
  EXPECT_EQ(s[2].counts.held, 0u);
  EXPECT_EQ(s[2].times.total, 0u);
  rec.received(at_ms(3500));  // after finish: nothing more is published
  EXPECT_TRUE(rec.take().empty());
}

TEST(ws_timeline, quiet_seconds_are_published_with_the_connections_held) {
  ws_timeline_recorder rec(t0, 10);
  rec.opened(at_ms(10));
  rec.at(at_ms(3200));  // the ticker: seconds 0, 1, 2 ended
  auto s = rec.take();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[2].second, 2u);
  EXPECT_EQ(s[2].counts.held, 1u);
  EXPECT_EQ(s[2].counts.opened, 0u);
  rec.finish(at_ms(4100));  // an interrupt: the timeline ends with the second it came in
  s = rec.take();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].second, 3u);
  EXPECT_EQ(s[1].second, 4u);
  EXPECT_EQ(s[1].counts.held, 1u);
}

ws_second_report second_of(std::uint64_t index, std::uint64_t held, std::uint64_t received, std::uint64_t from_ms,
                           std::uint64_t to_ms) {
  ws_second_report r;
  r.second = index;
  r.counts.held = held;
  r.counts.received = received;
  histogram h;
  for (std::uint64_t ms = from_ms; ms <= to_ms && from_ms > 0; ++ms) h.record(ms * 1'000'000);
  h.digest(r.times);
  return r;
}

TEST(ws_timeline, the_workers_seconds_merge_into_sums_and_exact_percentiles) {
  ws_timeline_builder b(2);
  b.add(0, second_of(0, 10, 50, 1, 50));
  b.add(0, second_of(1, 10, 20, 0, 0));
  b.add(1, second_of(0, 7, 50, 51, 100));
  b.add(1, second_of(1, 9, 30, 0, 0));
  const auto points = b.finish();
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].counts.held, 17u);
  EXPECT_EQ(points[0].counts.received, 100u);
  EXPECT_EQ(points[0].timed, 100u);
  EXPECT_NEAR(points[0].p50_ms, 50.0, 0.1);  // of both workers' values, not an average of theirs
  EXPECT_NEAR(points[0].p99_ms, 99.0, 0.1);
  EXPECT_NEAR(points[0].max_ms, 100.0, 0.1);
  EXPECT_EQ(points[1].counts.held, 19u);
  EXPECT_EQ(points[1].timed, 0u);
  EXPECT_EQ(points[1].p99_ms, 0.0);
}

TEST(ws_timeline, a_worker_that_stopped_a_second_earlier_still_counts_its_connections) {
  ws_timeline_builder b(2);
  b.add(0, second_of(0, 4, 1, 0, 0));
  b.add(1, second_of(0, 3, 1, 0, 0));
  b.add(0, second_of(1, 5, 1, 0, 0));  // worker 1 was interrupted before second 1 began
  const auto points = b.finish();
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].counts.held, 7u);
  EXPECT_EQ(points[1].counts.held, 8u);  // worker 1 still held its last 3
  EXPECT_EQ(points[1].counts.received, 1u);
}

}  // namespace
}  // namespace barrage::loadgen
