#pragma once
// What a session learned from the bytes fed to it (or from sending), one value per event.
// Views (names, values, data bytes, debug data) point into the session's event storage and
// stay valid until the session's clear_events() or destruction.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "h2/error_code.hpp"
#include "h2/settings.hpp"

namespace barrage::h2 {

/// A header field; names are lowercase (HTTP/2 requires it, nghttp2 checks it on receipt).
struct field {
  std::string_view name;
  std::string_view value;
};

/// Client: a response's header block. interim() ones (1xx) precede the final one.
struct response_head {
  std::int32_t stream = 0;
  int status = 0;
  std::span<const field> fields;  // without pseudo-headers
  bool end_stream = false;        // no body follows; a stream_end event follows too
  bool interim() const noexcept { return status < 200; }
};

/// Server: a request's header block (nghttp2 has checked the pseudo-headers).
struct request_head {
  std::int32_t stream = 0;
  std::string_view method, scheme, authority, path;
  std::span<const field> fields;  // without pseudo-headers
  bool end_stream = false;
};

/// A header block after the body (trailers).
struct trailers {
  std::int32_t stream = 0;
  std::span<const field> fields;
};

/// Body bytes received on a stream. Their flow-control window is returned to the peer as
/// they arrive (a WINDOW_UPDATE in take_output() once half a window is consumed): a reader
/// never has to acknowledge them. bytes is empty unless session_options::keep_data_bytes.
struct data_chunk {
  std::int32_t stream = 0;
  std::size_t length = 0;
  std::string_view bytes;
};

/// The peer ended its side of the stream (END_STREAM): the response (or request) is complete.
struct stream_end {
  std::int32_t stream = 0;
};

/// The peer sent RST_STREAM; a stream_closed with the same code follows.
struct stream_reset {
  std::int32_t stream = 0;
  error_code code = error_code::no_error;
};

/// The stream is finished for this session, for whatever reason: both sides ended
/// (no_error), a reset either way, a header block over the limits (internal_error) or with a
/// :status outside 100..599 (protocol_error: the session resets the stream), or a
/// GOAWAY whose last stream id is below it (refused_stream: the peer did not process it).
/// Every stream a client submitted, and every request a server received, gets exactly one,
/// unless the session is destroyed first.
struct stream_closed {
  std::int32_t stream = 0;
  error_code code = error_code::no_error;
};

/// The peer sent GOAWAY: streams above last_stream_id were not processed (each gets a
/// stream_closed with refused_stream); no new stream may be opened on this session.
struct goaway {
  std::int32_t last_stream_id = 0;
  error_code code = error_code::no_error;
  std::string_view debug;
};

/// The session sent GOAWAY: shutdown() was called, or the peer broke the protocol (code says
/// how). The connection ends once take_output() has been written.
struct goaway_sent {
  std::int32_t last_stream_id = 0;
  error_code code = error_code::no_error;
};

/// The peer's SETTINGS frame (not its ACK), with every value in force after it.
struct settings_received {
  peer_settings settings;
};

using event = std::variant<response_head, request_head, trailers, data_chunk, stream_end,
                           stream_reset, stream_closed, goaway, goaway_sent, settings_received>;

}  // namespace barrage::h2
