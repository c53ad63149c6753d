#pragma once
// RFC 6455 frames for one connection, through wslay's event API: bytes in, events out, bytes
// to send. No I/O: the caller feeds what it read and writes pending_output() itself.
//
//   frame_codec c{role::server, {.max_message_bytes = 1 << 20}};
//   for (const event& e : c.feed(bytes)) ...;     // complete messages, pings, pongs, close
//   c.queue_message(message_kind::text, "hi");
//   write(c.pending_output()); c.consume_output(n);
//
// The codec answers pings with pongs and a peer's close with a close by itself (both appear in
// pending_output()). A peer that breaks a rule gets a close frame with the matching code
// (1002 protocol, 1007 invalid UTF-8, 1009 too big) and a protocol_error event; reading then
// stops. Memory: one message being reassembled (≤ max_message_bytes) plus the output not yet
// consumed; the caller bounds the latter by not queueing while it is large.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"

namespace barrage::ws {

enum class role : std::uint8_t { client, server };
enum class message_kind : std::uint8_t { text = 1, binary = 2 };

/// Close codes the codec sends or reports (RFC 6455 §7.4.1).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // reported when a close frame had no code
inline constexpr std::uint16_t abnormal = 1006;   // never sent: the connection ended without close
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

/// A complete data message, fragments joined.
struct message {
  message_kind kind = message_kind::text;
  std::string data;
};
/// A ping from the peer (its pong is already queued).
struct ping {
  std::string data;
};
struct pong {
  std::string data;
};
/// The peer's close frame (the reply is already queued). code is no_status when it had none.
struct peer_close {
  std::uint16_t code = close_code::no_status;
  std::string reason;
};
/// The peer broke a rule: a close with `code` is queued and reading has stopped.
struct protocol_error {
  std::uint16_t code = close_code::protocol_error;
};
using event = std::variant<message, ping, pong, peer_close, protocol_error>;

struct codec_limits {
  std::size_t max_message_bytes = 1 << 20;  // a larger message (fragments joined) closes with 1009
};

/// Fills the span with random bytes (the client's masking keys).
using random_source = std::function<void(std::span<std::uint8_t>)>;

/// Why a queue_* call was refused.
enum class queue_error : std::uint8_t {
  closing,            // a close was already queued or sent: no more frames
  control_too_large,  // ping payload or close reason above 125 bytes
  invalid_utf8,       // a text message or close reason that is not UTF-8
};
std::string_view to_string(queue_error e) noexcept;

class frame_codec {
 public:
  /// A client codec needs `random` (its frames are masked); a server's ignores it.
  /// Throws std::bad_alloc when wslay cannot allocate its context.
  explicit frame_codec(role r, codec_limits limits = {}, random_source random = {});
  ~frame_codec();
  frame_codec(frame_codec&&) noexcept;
  frame_codec& operator=(frame_codec&&) noexcept;
  frame_codec(const frame_codec&) = delete;
  frame_codec& operator=(const frame_codec&) = delete;

  /// Feeds bytes read from the peer. Returns the events they completed, valid until the next
  /// feed. Bytes after the peer's close or a protocol error are ignored.
  std::span<const event> feed(std::string_view bytes);

  result<void, queue_error> queue_message(message_kind kind, std::string_view data);
  result<void, queue_error> queue_ping(std::string_view data = {});
  /// Starts the closing handshake (code 0: a close frame without code).
  result<void, queue_error> queue_close(std::uint16_t code, std::string_view reason = {});

  /// Frames ready to send, oldest first.
  std::string_view pending_output() const noexcept;
  void consume_output(std::size_t n) noexcept;

  /// Whether the codec still reads the peer's frames (no close received, no protocol error).
  bool wants_read() const noexcept;
  bool close_sent() const noexcept;      // a close frame is in pending_output() or was consumed
  bool close_received() const noexcept;  // the peer's close frame arrived
  /// The closing handshake is over (or a protocol error ended it) and all output was taken:
  /// the connection may be closed.
  bool finished() const noexcept;

  role side() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace barrage::ws
