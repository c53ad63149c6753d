// The wrapper's own code allocates nothing per request once warm: its event storage, output
// buffer, header scratch and stream table are reused. (nghttp2's own allocations go through
// malloc, which the counting allocator does not see; routing them through nghttp2_mem is the
// generator's performance work.)
#include <gtest/gtest.h>

#include <variant>

#include "counting_allocator.hpp"
#include "h2/client_session.hpp"
#include "h2/server_session.hpp"

namespace barrage::h2 {
namespace {

const field request_fields[] = {{"user-agent", "barrage/0.1"}, {"accept", "*/*"}};
const field response_fields[] = {{"server", "test"}, {"content-type", "text/plain"}};

// Moves bytes both ways once, answering complete requests; false when nothing moved.
bool round_trip(client_session& c, server_session& s) {
  bool moved = false;
  for (auto out = c.take_output(); out.ok() && !out->empty(); out = c.take_output()) {
    moved = true;
    EXPECT_TRUE(s.feed(*out).ok());
  }
  for (const event& e : s.events())
    if (const auto* end = std::get_if<stream_end>(&e)) {
      EXPECT_TRUE(s.respond(end->stream, {.status = 200, .fields = response_fields, .body = "hello\n"}).ok());
    }
  s.clear_events();
  for (auto out = s.take_output(); out.ok() && !out->empty(); out = s.take_output()) {
    moved = true;
    EXPECT_TRUE(c.feed(*out).ok());
  }
  return moved;
}

// `n` requests, `streams` at a time; the number that closed cleanly.
std::size_t run_requests(client_session& c, server_session& s, int n, int streams) {
  std::size_t ok = 0;
  for (int done = 0; done < n; done += streams) {
    for (int i = 0; i < streams; ++i) EXPECT_TRUE(c.submit({.authority = "a", .path = "/x", .fields = request_fields}).ok());
    for (int guard = 0; c.open_streams() > 0 && guard < 100; ++guard) round_trip(c, s);
    for (const event& e : c.events())
      if (const auto* closed = std::get_if<stream_closed>(&e)) ok += closed->code == error_code::no_error;
    c.clear_events();
  }
  return ok;
}

TEST(H2Allocations, ASteadyStreamOfRequestsAllocatesNothingInTheWrapper) {
  client_session c({.keep_data_bytes = true});
  server_session s;
  ASSERT_EQ(run_requests(c, s, 200, 10), 200u);  // warm: buffers grown to their working size
  test::allocation_counter counter;
  const std::size_t ok = run_requests(c, s, 1000, 10);
  EXPECT_EQ(counter.count(), 0u);
  EXPECT_EQ(ok, 1000u);
}

TEST(H2Allocations, TheCounterSeesTheWrappersOwnAllocations) {
  // The check above could not fail if the counter missed the wrapper: a new session's state
  // and the event storage of its first exchange are allocated with operator new.
  test::allocation_counter counter;
  client_session c;
  server_session s;
  ASSERT_EQ(run_requests(c, s, 10, 10), 10u);
  EXPECT_GT(counter.count(), 2u);
}

}  // namespace
}  // namespace barrage::h2
