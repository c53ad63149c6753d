#pragma once
// The outcome of a whole run, as the reports render it.
#include <cstdint>
#include <string>
#include <vector>

#include "loadgen/config.hpp"
#include "loadgen/stats.hpp"
#include "loadgen/ws_timeline.hpp"

namespace barrage::loadgen {

struct generator_usage {
  double cpu_seconds = 0;     // user + system of the whole process during the run
  double cpu_percent = 0;     // of one core
  double busiest_thread_percent = 0;
  std::uint64_t max_rss_bytes = 0;
  bool saturated = false;
  std::string saturation_reason;  // empty when not saturated
};

struct run_result {
  run_config config;
  std::string target_address;  // the address connected to, e.g. 127.0.0.1:8080
  /// A scenario or --targets run: the origins its steps go to ("https://h:8443"), the URL's first.
  std::vector<std::string> origins;
  run_stats stats;             // merged over threads, warm-up excluded
  std::vector<timeline_point> timeline;
  std::vector<ws_timeline_point> ws_timeline;  // ws:// and wss:// runs: one point per second
  double duration_s = 0;       // from the first request to the last completion counted
  generator_usage generator;
  /// On the wall clock (µs since the Unix epoch): the counted start (after --warmup), as read
  /// right after that instant passed, and the end: start + duration_s. The shard, if any, is
  /// config.shard.
  std::int64_t wall_start_unix_us = 0;
  std::int64_t wall_end_unix_us = 0;
};

}  // namespace barrage::loadgen
