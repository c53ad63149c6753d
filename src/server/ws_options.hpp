#pragma once
// The WebSocket limits of `barrage serve` (/ws/echo, /ws/feed) and their command-line form.
// Errors are one line naming the option and quoting the bad value, as serve_options'.
#include <cstddef>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace barrage::server {

struct ws_limits {
  /// A larger message (fragments joined) closes the connection with 1009.
  std::size_t max_message_bytes = 1 << 20;
  /// After this long without a frame from the client the server pings it ...
  duration ping_interval = std::chrono::seconds(30);
  /// ... and closes the connection (1001, "ping timeout") when nothing arrives within this.
  duration ping_timeout = std::chrono::seconds(10);
  /// The server's close (drain, ping timeout): how long it waits for the client's close.
  duration close_timeout = std::chrono::seconds(2);
  /// /ws/feed: the shortest interval and the largest message a client may ask for.
  duration min_feed_interval = std::chrono::microseconds(100);
};

/// The --ws-* options as typed; nullopt keeps the default.
struct ws_serve_settings {
  std::optional<std::string> max_message, ping_interval, ping_timeout;
};

/// --ws-max-message a size from 125 bytes to 64MiB; --ws-ping-interval and --ws-ping-timeout
/// above 0.
result<ws_limits, std::string> make_ws_limits(const ws_serve_settings& settings);

}  // namespace barrage::server
