#pragma once
// What a WebSocket run (`barrage ws://...`, `wss://...`) does, as plain values: run_config's
// `ws` member. The connection count (-c, --ramp), the run time (-d), the limits (--timeout for
// a message's reply, --connect-timeout for TCP, TLS and the opening handshake together,
// --grace), -H (fields of the opening handshake) and the TLS options are run_config's own.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"

namespace barrage::loadgen {

/// echo: each connection sends messages and times their replies; listen: it sends nothing
/// (but --subscribe, once) and measures what the server pushes.
enum class ws_mode : std::uint8_t { echo, listen };

/// Open model (--message-rate): each message starts with this many characters, the id of the
/// message in hexadecimal, which the reply must echo back (ws_message.hpp).
inline constexpr std::size_t ws_message_id_chars = 16;

struct ws_config {
  bool enabled = false;  // the URL is ws:// or wss://
  bool secure = false;   // wss://
  ws_mode mode = ws_mode::echo;
  /// The payload (--message, --message-file, or --message-size bytes generated).
  std::string message = "barrage";
  bool binary = false;  // --binary: binary frames (text frames must be UTF-8)
  /// --message-rate: messages per second per connection, sent on schedule whatever the
  /// replies do (the open model); nullopt: the closed model, one message in flight.
  std::optional<double> message_rate;
  /// --subscribe: listen mode's one message after the handshake.
  std::optional<std::string> subscribe;
  /// --subprotocol: offered in the opening handshake's Sec-WebSocket-Protocol, in this order;
  /// the server may choose one of them or none (RFC 6455 §4.1), another fails the handshake.
  std::vector<std::string> subprotocols;
  /// --ping-interval: a ping this often per connection; zero: none.
  duration ping_interval{};
  /// --reconnect: a connection that drops (or fails to open) is opened again, after a backoff
  /// from reconnect_backoff doubling to max_reconnect_backoff.
  bool reconnect = false;
  duration reconnect_backoff = std::chrono::milliseconds(100);

  bool open_model() const noexcept { return message_rate.has_value(); }
};

inline constexpr duration max_reconnect_backoff = std::chrono::seconds(5);

}  // namespace barrage::loadgen
