// Zero heap allocations per request on the generator's hot path (the house plan's first
// invariant), as the server's alloc_test checks it for the server. A worker runs on this
// thread against a real nginx twice, with a short and a long quota: whatever setting up costs
// is the same in both runs, so the difference is what the extra requests allocated.
#include <gtest/gtest.h>

#include "counting_allocator.hpp"
#include "loadgen/worker.hpp"
#include "nginx_fixture.hpp"

using namespace barrage;
using namespace barrage::loadgen;

namespace {

struct measured {
  std::uint64_t allocations = 0;
  std::uint64_t succeeded = 0;
};

measured run_worker(const test::nginx_process& nginx, unsigned connections, unsigned pipeline, bool keepalive,
                    std::uint64_t quota) {
  run_plan plan;
  plan.config.connections = connections;
  plan.config.threads = 1;
  plan.config.pipeline = pipeline;
  plan.config.keepalive = keepalive;
  plan.config.timeout = std::chrono::seconds(5);
  plan.origins.push_back({.target = *net::socket_address::parse("127.0.0.1:" + std::to_string(nginx.port()))});
  plan.request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  plan.start = mono_clock::now();
  plan.counted_from = plan.start;
  plan.end = time_point::max();
  worker w(plan, connections, quota, ramp_profile(connections, {}, 0));
  test::allocation_counter count;
  w.run();
  return {count.count(), w.stats().count.succeeded};
}

/// Allocations the extra requests of a long run made, per extra request.
double allocations_per_extra_request(unsigned connections, unsigned pipeline) {
  test::nginx_process nginx;
  EXPECT_TRUE(nginx.available()) << "nginx (nginx-light) is needed: tools/install-deps.sh";
  if (!nginx.available()) return -1;
  (void)run_worker(nginx, connections, pipeline, true, 200);  // warms the process: first-use allocations
  auto shorter = run_worker(nginx, connections, pipeline, true, 1'000);
  auto longer = run_worker(nginx, connections, pipeline, true, 6'000);
  EXPECT_EQ(shorter.succeeded, 1'000u);
  EXPECT_EQ(longer.succeeded, 6'000u);
  const double extra = static_cast<double>(longer.allocations) - static_cast<double>(shorter.allocations);
  return extra / 5'000.0;
}

}  // namespace

TEST(generator_allocations, none_per_request_in_the_closed_model_with_keep_alive) {
  // Both runs stay within their first second, so they publish the same number of seconds.
  EXPECT_LE(allocations_per_extra_request(4, 1), 0.0);
}

TEST(generator_allocations, none_per_request_when_pipelined) {
  // A pipelined batch arrives in reads as large as the kernel coalesces: the longer run may
  // meet a larger one and grow a connection's read buffer again (base/adaptive_buffer.hpp, at
  // most 6 doublings from 1 KiB to 64 KiB each), an allocation per growth, never per request:
  // 4 connections x 6 over the 5,000 extra requests at most. One per request would be 1.
  EXPECT_LE(allocations_per_extra_request(4, 8), 4.0 * 6.0 / 5'000.0);
}
