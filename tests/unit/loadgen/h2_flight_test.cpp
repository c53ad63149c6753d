// h2_flight: every stream of a connection ends once, with the outcome its events say.
#include "loadgen/h2_flight.hpp"

#include <gtest/gtest.h>

using namespace barrage;
using namespace barrage::loadgen;

namespace {

h2_job job_at(time_point t) { return {t, t, t, {}, true, 0}; }

client::error_kind ended_kind(h2_flight& f, std::int32_t id) {
  for (const auto& s : f.ended())
    if (s.id == id) return s.o.error;
  ADD_FAILURE() << "stream " << id << " did not end";
  return client::error_kind::none;
}

}  // namespace

TEST(h2_flight, each_way_a_stream_closes_ends_it_once_with_its_own_kind) {
  h2_stats stats;
  h2_flight f(stats, 8);
  const time_point t0 = mono_clock::now();
  for (std::int32_t id : {1, 3, 5, 7, 9}) f.add(id, job_at(t0));
  f.on_event(h2::response_head{1, 200, {}, false});
  f.on_event(h2::data_chunk{1, 6, {}});
  f.on_event(h2::stream_closed{1, h2::error_code::no_error});
  f.on_event(h2::stream_reset{3, h2::error_code::refused_stream});
  f.on_event(h2::stream_closed{3, h2::error_code::refused_stream});
  f.on_event(h2::goaway{3, h2::error_code::no_error, {}});
  f.on_event(h2::stream_closed{5, h2::error_code::refused_stream});  // above the GOAWAY: not processed
  f.on_event(h2::stream_reset{7, h2::error_code::internal_error});
  f.on_event(h2::stream_closed{7, h2::error_code::internal_error});
  f.on_event(h2::stream_closed{7, h2::error_code::internal_error});  // a second close changes nothing
  ASSERT_EQ(f.ended().size(), 4u);
  EXPECT_EQ(ended_kind(f, 1), client::error_kind::none);
  EXPECT_EQ(f.ended()[0].o.bytes_in, 6u);
  EXPECT_EQ(ended_kind(f, 3), client::error_kind::h2_refused_stream);
  EXPECT_EQ(ended_kind(f, 5), client::error_kind::h2_goaway);
  EXPECT_EQ(ended_kind(f, 7), client::error_kind::h2_stream_reset);
  EXPECT_TRUE(f.goaway());
  EXPECT_EQ(stats.goaways, 1u);
  EXPECT_EQ(f.size(), 1u);
  EXPECT_TRUE(h2_unprocessed(client::error_kind::h2_refused_stream));
  EXPECT_TRUE(h2_unprocessed(client::error_kind::h2_goaway));
  EXPECT_FALSE(h2_unprocessed(client::error_kind::h2_stream_reset));
}

TEST(h2_flight, a_connection_lost_with_streams_open_ends_each_one_as_one_failure) {
  h2_stats stats;
  h2_flight f(stats, 8);
  const time_point t0 = mono_clock::now();
  for (std::int32_t id : {1, 3, 5}) f.add(id, job_at(t0));
  f.on_event(h2::response_head{3, 200, {}, false});  // its head came, its body did not
  f.fail_all_lost(t0, 0, false);
  ASSERT_EQ(f.ended().size(), 3u);
  EXPECT_EQ(ended_kind(f, 1), client::error_kind::closed_before_response);
  EXPECT_EQ(ended_kind(f, 3), client::error_kind::truncated_body);
  EXPECT_EQ(ended_kind(f, 5), client::error_kind::closed_before_response);
  EXPECT_TRUE(f.empty());
  f.clear_ended();
  f.add(7, job_at(t0));
  f.fail_all_lost(t0, 0, true);  // the session failed: a protocol error
  EXPECT_EQ(ended_kind(f, 7), client::error_kind::h2_protocol_error);
}

TEST(h2_flight, streams_past_their_deadline_time_out_and_the_rest_stay) {
  h2_stats stats;
  h2_flight f(stats, 8);
  h2::client_session session;
  const time_point t0 = mono_clock::now();
  f.add(1, job_at(t0));
  f.add(3, job_at(t0 + std::chrono::seconds(1)));
  EXPECT_EQ(f.earliest(std::chrono::seconds(2)), t0 + std::chrono::seconds(2));
  f.expire(t0 + std::chrono::milliseconds(2500), std::chrono::seconds(2), session);
  ASSERT_EQ(f.ended().size(), 1u);
  EXPECT_EQ(ended_kind(f, 1), client::error_kind::timeout);
  EXPECT_EQ(f.ended()[0].o.times.complete, to_ns(std::chrono::milliseconds(2500)));
  EXPECT_EQ(f.size(), 1u);
}

TEST(h2_flight, the_lowest_max_concurrent_streams_a_server_announced_is_kept) {
  h2_stats stats;
  h2_flight f(stats);
  h2::peer_settings p;
  p.max_concurrent_streams = 100;
  f.on_event(h2::settings_received{p});
  p.max_concurrent_streams = 4;
  f.on_event(h2::settings_received{p});
  p.max_concurrent_streams = 50;
  f.on_event(h2::settings_received{p});
  EXPECT_EQ(stats.peer_max_streams, 4u);
}
