#include "loadgen/phases.hpp"

#include <gtest/gtest.h>

#include "loadgen/stats.hpp"

namespace barrage::loadgen {
namespace {

client::phase_times times(std::int64_t connect, std::int64_t written, std::int64_t first_byte, std::int64_t complete) {
  client::phase_times t;
  t.connect = connect;
  t.written = written;
  t.first_byte = first_byte;
  t.complete = complete;
  return t;
}

TEST(phase_stats, a_request_on_an_open_connection_written_at_once_and_read_in_one_piece_is_all_wait) {
  phase_stats p;
  p.record_request(times(0, 0, 5'000, 5'000));
  EXPECT_EQ(p.write().count(), 1u);
  EXPECT_EQ(p.write().max(), 0u);
  EXPECT_EQ(p.wait().max(), 5'000u);
  EXPECT_EQ(p.receive().count(), 1u);
  EXPECT_EQ(p.receive().max(), 0u);
}

TEST(phase_stats, phases_count_from_the_connection_ready_and_add_up_to_the_rest_of_the_attempt) {
  phase_stats p;
  // Connected at 3 ms (its dns, connect and tls are timed per connection), written at 4 ms,
  // first byte at 10 ms, last at 12 ms.
  p.record_request(times(3'000'000, 4'000'000, 10'000'000, 12'000'000));
  EXPECT_EQ(p.write().max(), 1'000'000u);
  EXPECT_EQ(p.wait().max(), 6'000'000u);
  EXPECT_EQ(p.receive().max(), 2'000'000u);
  EXPECT_EQ(p.write().max() + p.wait().max() + p.receive().max(), 12'000'000u - 3'000'000u);
  // Written at once on a new connection: written is "when ready", the wait starts there.
  p.reset();
  p.record_request(times(3'000'000, 0, 10'000'000, 10'000'000));
  EXPECT_EQ(p.write().max(), 0u);
  EXPECT_EQ(p.wait().max(), 7'000'000u);
}

TEST(phase_stats, counted_zeros_and_recorded_values_make_one_histogram_and_merge_exactly) {
  phase_stats a, b;
  for (int i = 0; i < 3; ++i) a.record_request(times(0, 0, 1'000, 1'000));        // zeros
  for (int i = 0; i < 2; ++i) b.record_request(times(0, 2'000, 5'000, 9'000));    // write 2 µs, receive 4 µs
  b.dns.record(7'000);
  b.dns_cached = 1;
  a.merge(b);
  const histogram w = a.write(), r = a.receive();
  EXPECT_EQ(w.count(), 5u);
  EXPECT_EQ(w.min(), 0u);
  EXPECT_EQ(w.max(), 2'000u);
  EXPECT_EQ(w.value_at_percentile(50), 0u);
  EXPECT_EQ(r.count(), 5u);
  EXPECT_EQ(r.max(), 4'000u);
  EXPECT_EQ(a.wait().count(), 5u);
  EXPECT_EQ(a.dns.count(), 1u);
  EXPECT_EQ(a.dns_cached, 1u);
  a.reset();
  EXPECT_EQ(a.write().count(), 0u);
  EXPECT_EQ(a.receive().count(), 0u);
  EXPECT_EQ(a.dns_cached, 0u);
}

TEST(run_stats, successes_go_to_latency_and_the_phases_and_every_failure_to_latency_failed) {
  run_stats st;
  success_policy policy;
  client::outcome ok;
  ok.status = 200;
  ok.times = times(0, 0, 4'000, 4'000);
  client::outcome bad = ok;
  bad.status = 503;
  client::outcome reset;
  reset.error = client::error_kind::reset;
  client::outcome timed_out;
  timed_out.error = client::error_kind::timeout;
  client::outcome chain = ok;  // a followed redirect chain: first_byte cleared, no phases
  chain.times.first_byte = 0;
  st.record(ok, 4'000, 4'000, policy);
  st.record(bad, 1'000, 1'000, policy);
  st.record(reset, 2'000, 2'000, policy);
  st.record(timed_out, 9'000, 9'000, policy);
  st.record(chain, 6'000, 6'000, policy);
  EXPECT_EQ(st.latency.count(), 2u);
  EXPECT_EQ(st.latency.min(), 4'000u);
  EXPECT_EQ(st.latency_failed.count(), 3u);
  EXPECT_EQ(st.latency_failed.min(), 1'000u);
  EXPECT_EQ(st.latency_failed.max(), 9'000u);
  EXPECT_EQ(st.phases.wait().count(), 1u);
  EXPECT_EQ(st.count.succeeded, 2u);
  EXPECT_EQ(st.count.failed + st.count.timed_out, 3u);
  run_stats merged;
  merged.merge(st);
  merged.merge(st);
  EXPECT_EQ(merged.latency_failed.count(), 6u);
  EXPECT_EQ(merged.phases.wait().count(), 2u);
}

}  // namespace
}  // namespace barrage::loadgen
