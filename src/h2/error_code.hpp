#pragma once
// HTTP/2 error codes (RFC 9113 §7) as carried by RST_STREAM and GOAWAY, and the error a
// session operation returns. A peer may send a code this list does not name: error_code holds
// any 32-bit value, and name() says "unknown" for those.
#include <cstdint>
#include <string_view>

namespace barrage::h2 {

enum class error_code : std::uint32_t {
  no_error = 0x0,
  protocol_error = 0x1,
  internal_error = 0x2,
  flow_control_error = 0x3,
  settings_timeout = 0x4,
  stream_closed = 0x5,
  frame_size_error = 0x6,
  refused_stream = 0x7,
  cancel = 0x8,
  compression_error = 0x9,
  connect_error = 0xa,
  enhance_your_calm = 0xb,
  inadequate_security = 0xc,
  http_1_1_required = 0xd,
};

/// The RFC's spelling ("PROTOCOL_ERROR"), or "unknown" for a code it does not define.
std::string_view name(error_code code) noexcept;

/// Why a session operation failed: nghttp2's library error code (a negative NGHTTP2_ERR_*).
/// fatal(): the session can do nothing more; write what take_output() still returns (it may
/// hold a GOAWAY) and close the connection. Otherwise only the one call failed (a request the
/// session refused, an invalid header name) and the session goes on.
struct session_error {
  int lib_code = 0;

  bool fatal() const noexcept;
  /// nghttp2's one-line description, static storage.
  std::string_view describe() const noexcept;
  friend bool operator==(const session_error&, const session_error&) = default;
};

}  // namespace barrage::h2
