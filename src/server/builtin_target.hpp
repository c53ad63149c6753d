#pragma once
// The built-in target: an API that answers after asynchronous waits (no handler blocks its
// loop), for trying a load generator against something with known behaviour.
//
//   GET  /                          200 "hello\n"
//   POST /                          200 "hello\n" (the body is read and dropped)
//   GET  /delay/<duration>          200 after that long (20ms, 0.5s, 1m; base/units.hpp)
//   GET  /status/<code>             that status (200-599)
//   GET  /bytes/<n>                 n bytes (512, 64k, 1MiB; base/units.hpp)
//   POST /echo                      the request body back (GET /echo too: an empty one)
//   GET  /stream/<n>?interval=<d>   n chunks, one per interval (default 100ms), chunked
//   GET  /jitter?median=<d>&p99=<d> 200 after a log-normal delay with that median and p99
//                                   (defaults 10ms and 100ms)
//   POST /login                     {"user": "...", "password": "..."} -> 200 {"token": "..."}
//                                   after a short wait; 400 for bad JSON or missing fields
//   GET|POST /headers               the request's header fields, "Name: value" per line
//   GET  /cookies                   one "name=value" line per cookie pair
//   GET  /ws/echo, /ws/feed         WebSocket routes (server/ws_routes.hpp); 426 without Upgrade
// Malformed parameters get 400 with a one-line reason.
#include <cstdint>

#include "base/clock.hpp"
#include "server/router.hpp"

namespace barrage::server {

struct builtin_options {
  duration login_wait = std::chrono::milliseconds(5);   // the simulated I/O of /login
  duration max_delay = std::chrono::minutes(10);        // /delay, /jitter, /stream intervals
  std::uint64_t max_bytes = 256ull << 20;                // /bytes
  std::uint64_t max_chunks = 1'000'000;                  // /stream
};

/// Adds the routes above to `r`.
void add_builtin_routes(router& r, const builtin_options& o = {});

/// The delay for a standard normal deviate `z` under a log-normal with this median and 99th
/// percentile: median * exp(sigma * z), sigma = ln(p99 / median) / 2.3263.
duration lognormal_delay(duration median, duration p99, double z) noexcept;

}  // namespace barrage::server
