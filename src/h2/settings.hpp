#pragma once
// What an h2 session asks of its peer (session_options: sent in its first SETTINGS frame and
// the connection's WINDOW_UPDATE) and what the peer announced (peer_settings, RFC 9113 §6.5.2).
#include <cstdint>
#include <string_view>

namespace barrage::h2 {

/// RFC 9113 §6.9.2: a window is at most 2^31-1 bytes.
inline constexpr std::uint32_t max_window = 0x7fffffff;
/// The window every stream and the connection start with before SETTINGS (RFC 9113 §6.9.2).
inline constexpr std::uint32_t default_window = 65535;

struct session_options {
  /// SETTINGS_INITIAL_WINDOW_SIZE we send: how many bytes the peer may send on each stream
  /// before we return window. 0..max_window.
  std::uint32_t stream_window = default_window;
  /// The connection-level receive window, across all streams. default_window..max_window
  /// (a WINDOW_UPDATE on stream 0 raises it from the protocol's 65535 in the first flight).
  std::uint32_t connection_window = default_window;
  /// SETTINGS_MAX_CONCURRENT_STREAMS we send: the streams the peer may open towards us. The
  /// server's bound on concurrent requests; a client does not send it (it disables push).
  std::uint32_t max_concurrent_streams = 100;
  /// One received header block, decoded: the sum of name and value lengths plus 32 per field
  /// (RFC 9113 §6.5.2's measure), and the number of fields. A stream whose block exceeds
  /// either is reset (INTERNAL_ERROR) and closes; memory for headers stays bounded.
  std::uint32_t max_header_list_bytes = 64 * 1024;
  std::uint32_t max_header_fields = 128;
  /// Client: the peer's SETTINGS_MAX_CONCURRENT_STREAMS assumed until its SETTINGS arrive
  /// (nghttp2's default, 100: RFC 9113 §6.5.2 asks servers to allow at least that). A server
  /// that allows fewer refuses the excess (REFUSED_STREAM); 1 sends one request until then.
  std::uint32_t peer_streams_before_settings = 100;
  /// The bytes the events of one batch may hold (names, values, kept data) before feed()
  /// pauses: it then returns having taken less than it was given, and takes the rest after
  /// clear_events(). Memory for events stays within about this plus one header block and one
  /// frame, however much a few input bytes decode to (HPACK).
  std::size_t max_event_bytes = 1 << 20;
  /// Server: the flood guard, a token bucket over the client's PING, SETTINGS and RST_STREAM
  /// frames (each costs an answer, or a stream's work: CVE-2023-44487's rapid reset, PING and
  /// SETTINGS floods): `flood_burst` at once, refilled at `flood_per_second`. A client over it
  /// gets GOAWAY ENHANCE_YOUR_CALM. A burst of 0: no guard (nghttp2's own limits remain); 0 a
  /// second: no refill (the burst is all a connection gets; deterministic, for tests).
  std::uint32_t flood_burst = 500;
  std::uint32_t flood_per_second = 500;
  /// Whether data events carry the received bytes (copied) or only their length; a load
  /// generator that discards bodies saves the copy.
  bool keep_data_bytes = true;
  /// Whether header events carry the header fields (copied) or none (status and
  /// pseudo-headers only; the limits still apply); a generator that reads only the status
  /// saves two copies of every field.
  bool keep_fields = true;
};

/// Empty when the options are usable, else what is wrong with them (one line).
std::string_view check(const session_options& options) noexcept;

/// The peer's SETTINGS as last received (RFC 9113 defaults until then, except that nghttp2
/// assumes 100 concurrent streams rather than unlimited).
struct peer_settings {
  std::uint32_t header_table_size = 4096;
  std::uint32_t enable_push = 1;
  std::uint32_t max_concurrent_streams = 100;
  std::uint32_t initial_window_size = default_window;
  std::uint32_t max_frame_size = 16384;
  std::uint32_t max_header_list_size = 0xffffffff;
  friend bool operator==(const peer_settings&, const peer_settings&) = default;
};

}  // namespace barrage::h2
