#pragma once
// Internal to the server (not API): one WebSocket connection after its 101, on the transport
// the HTTP/1.1 connection handed over (with none of its HTTP buffers). One
// task: it writes what the codec has pending (waiting for the client to take it, reading nothing
// meanwhile), then reads until the next timer (a /ws/feed push, a ping, the close's end). So its
// memory is bounded: its read buffer, one message being joined (≤ --ws-max-message), and the
// output of one read (echoes, pongs) or one push; a client that stops reading stops the
// connection's reading and pushing (pushes due meanwhile are skipped and counted) until the
// write timeout closes it.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/adaptive_buffer.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/transport.hpp"
#include "runtime/task.hpp"
#include "server/ws_metrics.hpp"
#include "server/ws_options.hpp"
#include "ws/frame_codec.hpp"

namespace barrage::server::detail {

enum class ws_route : std::uint8_t { none, echo, feed };

/// The WebSocket route of a path: /ws/echo, /ws/feed, or none.
ws_route ws_route_for(std::string_view path) noexcept;

/// /ws/feed's query: a message of `size` bytes every `interval`.
struct ws_feed_params {
  duration interval = std::chrono::seconds(1);
  std::size_t size = 64;
};

/// interval= a duration (default 1s, at least limits.min_feed_interval, at most 1h), size= a
/// size (default 64, at most the message limit). Errors are one line.
result<ws_feed_params, std::string> parse_feed_params(std::string_view query, const ws_limits& limits);

/// What the session needs of its connection.
struct ws_session_io {
  net::transport& io;
  bool& reading;              // true while waiting to read (a drain may stop it there)
  const bool& draining;       // the server is stopping: close with 1001
  duration write_timeout;     // the longest wait for the client to take output
};

class ws_session {
 public:
  ws_session(ws_session_io io, ws_metrics& metrics, const ws_limits& limits, ws_route route, ws_feed_params feed);
  ~ws_session();  // counts the close (by its reason) in the metrics
  ws_session(const ws_session&) = delete;
  ws_session& operator=(const ws_session&) = delete;

  /// Serves the connection until it ends; `already_read`: bytes that came behind the upgrade
  /// request. A stop (drain of a waiting connection, cut) ends it with operation_cancelled
  /// after a best-effort close frame.
  task<void> run(std::string_view already_read);

  ws_close_reason reason() const noexcept { return reason_; }

 private:
  void take(std::string_view bytes);
  void push(time_point now);
  void close_with(std::uint16_t code, std::string_view why, ws_close_reason reason);
  task<bool> send_pending();
  /// The next timer's time, or nullopt when one is due now (after acting on it).
  std::optional<time_point> next_wait(time_point now);

  ws_session_io c_;
  adaptive_buffer in_;  // its own: the HTTP/1.1 buffers were freed at the hand-over
  ws_metrics& metrics_;
  const ws_limits& limits_;
  ws_route route_;
  ws_feed_params feed_;
  ws::frame_codec codec_;
  ws_close_reason reason_ = ws_close_reason::vanished;
  bool ended_ = false;  // stop after the pending output (a protocol error, a ping timeout)
  time_point last_heard_{}, next_push_{}, ping_deadline_ = time_point::max(), close_deadline_ = time_point::max();
  std::uint64_t tick_ = 0;  // /ws/feed: the schedule's next tick
  std::string payload_;
};

}  // namespace barrage::server::detail
