#pragma once
// Internal to the server (not API): the state every loop of one server shares (its routes,
// options, workers and whether it stops), reached from any thread under `mu`.
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.hpp"
#include "net/address.hpp"
#include "runtime/async_event.hpp"
#include "runtime/event_loop.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"
#include "server/server.hpp"

namespace barrage::server {

namespace detail {
struct worker;

// After an error, a close or a GOAWAY the server stops writing, then reads and drops what the
// client still sends for a while, so that closing does not reset the connection before the
// client has read the last answer (RFC 9112 §9.6, RFC 9113 §6.8).
inline constexpr duration linger_time = std::chrono::seconds(1);
inline constexpr std::size_t linger_bytes = 256 * 1024;
}

struct server::state : std::enable_shared_from_this<server::state> {
  router routes;
  server_options opts;
  time_point started;
  std::string allow_all;  // Allow for OPTIONS *
  net::socket_address local;
  std::vector<std::unique_ptr<detail::worker>> workers;
  swallowed_exceptions swallowed;  // any thread

  // Which loops run now (for stop() and /metrics from other threads).
  mutable std::mutex mu;
  bool stopping = false;
  bool cut_now = false;
  std::vector<std::thread> threads;
  std::exception_ptr thread_error;
  std::size_t threads_running = 0;  // main loop thread only
  async_event threads_done;         // main loop only
  event_loop* main_loop = nullptr;

  std::string metrics_text() const;
  /// Asks every running loop to drain (any thread).
  void request_stop(bool cut) noexcept;
  /// While the stall schedule holds the server: when it lets go.
  std::optional<time_point> stall_until(time_point now) const noexcept;
};

}  // namespace barrage::server
