// A worker sleeps while it has nothing to do: it learns of the end of its work by events (its
// last connection ending), not by polling, so waiting on a slow response costs a few wake-ups,
// not one every few milliseconds.
#include "loadgen/worker.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "peer_thread.hpp"

using namespace barrage;
using namespace barrage::loadgen;
using namespace std::chrono_literals;

namespace {

/// Times the calling thread blocked (each sleep of a loop's wait for events is one).
long voluntary_switches() {
  rusage ru{};
  ::getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_nvcsw;
}

}  // namespace

TEST(worker, waiting_400_ms_for_a_response_takes_a_few_wake_ups_not_one_per_10_ms) {
  test::peer_thread peer({test::pause(400ms), test::send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")});
  run_plan plan;
  plan.config.connections = 1;
  plan.config.threads = 1;
  plan.config.timeout = 5s;
  plan.origins.push_back({.target = peer.address()});
  plan.request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  plan.start = mono_clock::now();
  plan.counted_from = plan.start;
  plan.end = time_point::max();
  worker w(plan, 1, 1, ramp_profile(1, {}, 0));
  const long before = voluntary_switches();
  const time_point start = mono_clock::now();
  w.run();
  const duration took = mono_clock::now() - start;
  const long switches = voluntary_switches() - before;
  EXPECT_EQ(w.stats().count.succeeded, 1u);
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 1s);  // within its first second: no ticker wake-up either
  // Polling every 10 ms would block and wake 40 times or more.
  EXPECT_LT(switches, 15) << "the worker's thread blocked " << switches << " times in " << to_ns(took) / 1'000'000
                          << " ms";
}
