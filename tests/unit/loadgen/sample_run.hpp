#pragma once
// A run_result built by hand, with known latencies, for the report tests.
//   1000 responses 200 with latencies 1 µs, 2 µs, ... 1000 µs and 5 responses 503 at 2 ms (in
//   the open model these are the uncorrected latencies; the corrected ones add 100 µs of
//   schedule lag), 3 timeouts at 5 ms, 2 refused at 500 µs, 4 still in flight at the end:
//   started 1014 = succeeded 1000 + failed (5 + 2) + timed out 3 + in flight 4.
//   latency holds the 1000 successes; latency_failed the 10 others (2 at 500 µs, 5 at 2 ms,
//   3 at 5 ms, plus the lag). Phases of each 200 at N µs: wait 0.9·N, receive 0.1·N; 52
//   connections, each connected in 100 µs; 2 lookups of 1 ms and 50 cached.
#include "loadgen/run_result.hpp"

namespace barrage::loadgen::testing {

inline run_result sample_run(bool open_model) {
  run_result r;
  r.config.url = "http://127.0.0.1:8080/";
  r.config.connections = 50;
  r.config.threads = 2;
  r.config.run_time = std::chrono::seconds(10);
  r.config.has_duration = true;
  r.config.warmup = std::chrono::seconds(2);
  if (open_model) r.config.rate = 100.0;
  r.target_address = "127.0.0.1:8080";
  r.duration_s = 10.0;

  std::int64_t lag = open_model ? 100'000 : 0;
  if (open_model) r.stats.keep_uncorrected();
  success_policy policy;
  client::outcome ok;
  ok.status = 200;
  ok.bytes_in = 100;
  for (std::int64_t us = 1; us <= 1000; ++us) {
    ok.times.first_byte = us * 900;
    ok.times.complete = us * 1000;
    r.stats.record(ok, us * 1000 + lag, us * 1000, policy);
    if (open_model) r.stats.schedule_lag.record(static_cast<std::uint64_t>(lag));
  }
  client::outcome unavailable;
  unavailable.status = 503;
  unavailable.bytes_in = 50;
  for (int i = 0; i < 5; ++i) r.stats.record(unavailable, 2'000'000 + lag, 2'000'000, policy);
  client::outcome timed_out;
  timed_out.error = client::error_kind::timeout;
  for (int i = 0; i < 3; ++i) r.stats.record(timed_out, 5'000'000 + lag, 5'000'000, policy);
  client::outcome refused;
  refused.error = client::error_kind::refused;
  for (int i = 0; i < 2; ++i) r.stats.record(refused, 500'000 + lag, 500'000, policy);
  for (int i = 0; i < 52; ++i) r.stats.phases.connect.record(100'000);
  for (int i = 0; i < 2; ++i) r.stats.phases.dns.record(1'000'000);
  for (int i = 0; i < 50; ++i) r.stats.phases.dns.record(0);
  r.stats.phases.dns_cached = 50;
  r.stats.count.started = 1014;
  r.stats.count.bytes_out = 1014 * 40;
  r.stats.count.connects = 52;
  if (open_model) {
    r.stats.count.late = 7;
    r.stats.count.dropped = 1;
  }
  for (int s = 0; s < 10; ++s) r.timeline.push_back({101, 1, 0.5, 0.9, 0.99, 1.5, "h1 500000 1500000 60000000 0 500000:100 1000000"});
  r.generator.cpu_seconds = 4.2;
  r.generator.cpu_percent = 42.0;
  r.generator.busiest_thread_percent = 30.0;
  r.generator.max_rss_bytes = 12 * 1024 * 1024;
  return r;
}

}  // namespace barrage::loadgen::testing
