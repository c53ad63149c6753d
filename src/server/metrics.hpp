#pragma once
// Server figures for GET /metrics, in the Prometheus text exposition format (0.0.4):
//   barrage_event_loop_lag_seconds (histogram), barrage_event_loop_slow_steps_total,
//   barrage_event_loop_busy_seconds_total (all labelled by loop),
//   barrage_http_requests_total{code}, barrage_http_request_duration_seconds (histogram),
//   barrage_connections_active, barrage_connections_accepted_total,
//   barrage_server_swallowed_exceptions_total{where},
//   with TLS: barrage_server_tls_handshakes_total{result="full|resumed|failed|timed_out"},
//   barrage_server_tls_handshake_failures_total{reason} (net::tls_errc's names),
//   barrage_server_h2_connections_total, barrage_server_h2_goaways_sent_total{code} (HTTP/2),
//   process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds, process_max_fds.
// Nothing of a request's contents (paths, headers, bodies) is ever exposed.
#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/prometheus_text.hpp"
#include "net/tls_error.hpp"
#include "runtime/loop_metrics.hpp"

namespace barrage::server {

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// How a TLS handshake of an accepted connection ended. full + resumed + failed + timed_out
/// = handshakes begun (less those under way).
enum class tls_handshake_result : std::uint8_t { full, resumed, failed, timed_out };
inline constexpr std::array<std::string_view, 4> tls_handshake_result_names{"full", "resumed", "failed", "timed_out"};

/// The HTTP figures of one loop: written by that loop's thread only (relaxed atomics, no
/// locked instruction), readable from any thread.
class http_metrics {
 public:
  static constexpr std::array<double, 16> duration_bounds_s{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                            0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                            1.0,    2.5,     5.0,    10.0};
  static constexpr int max_code = 599;
  static constexpr std::size_t h2_codes = 14;  // NO_ERROR .. HTTP_1_1_REQUIRED

  struct snapshot {
    std::array<std::uint64_t, max_code + 1> requests_by_code{};
    std::array<std::uint64_t, duration_bounds_s.size() + 1> duration_buckets{};  // per bucket, last = +Inf
    std::uint64_t duration_count = 0;
    double duration_sum_s = 0;
    std::int64_t connections_active = 0;
    std::uint64_t connections_accepted = 0;
    std::array<std::uint64_t, tls_handshake_result_names.size()> tls_handshakes{};
    std::array<std::uint64_t, net::tls_errc_count> tls_failures{};  // failed ones, by kind
    bool tls = false;  // the server speaks TLS: the page shows the handshake families
    std::uint64_t h2_connections = 0;
    std::array<std::uint64_t, h2_codes> h2_goaways{};  // sent, by error code (RFC 9113 §7)
    void merge(const snapshot& o) noexcept;
  };

  /// One answered request: its status and the time from its complete head to its response.
  void record(int status, duration d) noexcept;
  void connection_opened() noexcept {
    bump(accepted_, 1);
    active_.store(active_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void connection_closed() noexcept { active_.store(active_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed); }
  /// One TLS handshake ended; `why` counts a failed one by its kind.
  void tls_handshake(tls_handshake_result r, net::tls_errc why = net::tls_errc::handshake) noexcept {
    bump(tls_handshakes_[static_cast<std::size_t>(r)], 1);
    if (r == tls_handshake_result::failed) bump(tls_failures_[static_cast<std::size_t>(why)], 1);
  }
  /// A connection that speaks HTTP/2; a GOAWAY it sent, by error code (others are not counted).
  void h2_connection() noexcept { bump(h2_connections_, 1); }
  void h2_goaway(std::uint32_t code) noexcept {
    if (code < h2_codes) bump(h2_goaways_[code], 1);
  }
  snapshot read() const noexcept;

 private:
  static void bump(std::atomic<std::uint64_t>& c, std::uint64_t by) noexcept {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
  std::array<std::atomic<std::uint64_t>, max_code + 1> by_code_{};
  std::array<std::atomic<std::uint64_t>, duration_bounds_s.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0}, sum_ns_{0}, accepted_{0};
  std::atomic<std::int64_t> active_{0};
  std::array<std::atomic<std::uint64_t>, tls_handshake_result_names.size()> tls_handshakes_{};
  std::array<std::atomic<std::uint64_t>, net::tls_errc_count> tls_failures_{};
  std::atomic<std::uint64_t> h2_connections_{0};
  std::array<std::atomic<std::uint64_t>, h2_codes> h2_goaways_{};
};

/// The places where the server catches any exception and goes on; each says, where it
/// catches, why going on is right.
enum class swallowed_at : std::uint8_t {
  connection_setup,  // a connection's buffers could not be made: it is closed unanswered
  connection,        // a connection's task failed past its handler: it is closed
  timeout_answer,    // the 408 for a request that took too long could not be sent
  watchdog_timer,    // a connection's deadline could not be re-armed: it is stopped at once
  drain_timer,       // an idle connection could not be closed lazily at a drain: it is cut
  release_timer,     // the memory release after a burst could not be scheduled: next close
  stop_request,      // a loop could not be told to stop: it serves until stopped again
  accept_loop,       // a loop's accept task failed: the loop drains without it
};
inline constexpr std::array<std::string_view, 8> swallowed_at_names{
    "connection_setup", "connection", "timeout_answer", "watchdog_timer",
    "drain_timer",      "release_timer", "stop_request", "accept_loop"};
static_assert(static_cast<std::size_t>(swallowed_at::accept_loop) + 1 == swallowed_at_names.size(),
              "one name per place");
using swallowed_counts = std::array<std::uint64_t, swallowed_at_names.size()>;

/// Exceptions caught and swallowed, by where; counted from any thread (rare: off the request
/// path, so a locked add is fine).
class swallowed_exceptions {
 public:
  void count(swallowed_at where) noexcept {
    counts_[static_cast<std::size_t>(where)].fetch_add(1, std::memory_order_relaxed);
  }
  swallowed_counts read() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, swallowed_at_names.size()> counts_{};
};

struct process_figures {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
};
/// This process now (getrusage, /proc/self/statm, /proc/self/fd, RLIMIT_NOFILE).
process_figures read_process_figures() noexcept;

using barrage::append_metric_value;  // base/prometheus_text.hpp
using barrage::exposition;

/// The whole page: one entry of `loops` per event loop (labelled loop="0", "1", ...).
void render_metrics(std::string& out, std::span<const loop_metrics_snapshot> loops,
                    const http_metrics::snapshot& http, const swallowed_counts& swallowed,
                    const process_figures& proc);

}  // namespace barrage::server
