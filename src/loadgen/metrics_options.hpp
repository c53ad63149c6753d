#pragma once
// --metrics-listen, --linger and --metrics-buckets: where the running generator serves its
// figures in the Prometheus text format (report/live_metrics.hpp), for how long after the run,
// and the latency histogram's bucket bounds. Errors are one line that quotes the value:
//   bad bucket list "0.1,0.05": the bounds must increase (0.05 after 0.1)
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/address.hpp"

namespace barrage::loadgen {

/// The default bounds of barrage_request_duration_seconds, in seconds: 0.5 ms to 10 s, about
/// ×2 to ×2.5 apart (Prometheus' own defaults with 0.5 ms and 1 ms added below).
inline const std::vector<double> default_latency_bounds_s{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
/// At most this many bounds (each is one series per scrape).
inline constexpr std::size_t max_latency_bounds = 64;
/// The longest --linger.
inline constexpr duration max_linger = std::chrono::hours(24);

struct metrics_endpoint_config {
  net::socket_address listen;
  duration linger{};  // after the run: the final figures stay served this long
  std::vector<double> bounds_s = default_latency_bounds_s;
};

/// A numeric HOST:PORT (port 0 picks a free one): 127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464; a
/// bare PORT or :PORT means 127.0.0.1 (as `barrage serve --listen`).
result<net::socket_address, std::string> parse_metrics_listen(std::string_view text);
/// A duration from 0 to max_linger ("5s", "1m", "0").
result<duration, std::string> parse_linger(std::string_view text);
/// Comma-separated bounds, each in seconds ("0.001") or with a unit ("1ms"), above 0, strictly
/// increasing, at most max_latency_bounds of them; +Inf is always added, never written.
result<std::vector<double>, std::string> parse_latency_bounds(std::string_view text);

/// The three options as typed (absent: not given): nothing without --metrics-listen, and
/// --linger or --metrics-buckets without it are refused.
result<std::optional<metrics_endpoint_config>, std::string> make_metrics_endpoint_config(
    const std::optional<std::string>& listen, const std::optional<std::string>& linger,
    const std::optional<std::string>& buckets);

}  // namespace barrage::loadgen
