#pragma once
// The client side of one HTTP/2 connection (RFC 9113) over nghttp2, with no I/O: the caller
// moves bytes between it and a transport. docs/protocols.md, "The HTTP/2 wrapper".
//
//   h2::client_session s{{.stream_window = 1 << 20}};
//   auto id = s.submit({.method = "GET", .authority = "example.com", .path = "/"});
//   loop:
//     write every s.take_output() until it is empty    (the preface and SETTINGS come first)
//     while bytes remain: n = s.feed(bytes read from the transport)
//       for (const h2::event& e : s.events()) ...      (response_head, data_chunk, stream_end,
//       s.clear_events(); drop n bytes                   stream_closed, goaway, ...)
//   until !s.wants_read() && !s.wants_write()          (GOAWAY exchanged, or a fatal error)
//
// Contract:
// - Errors are values. A fatal session_error (from feed or take_output) ends the session:
//   write what take_output() still returns, if anything, and close. A peer that breaks the
//   protocol is not an error of feed(): nghttp2 answers with GOAWAY (a goaway_sent event) and
//   wants_read() turns false.
// - Every stream submit() opened gets exactly one stream_closed event: after its stream_end
//   (no_error), after a reset either way, or refused (a GOAWAY below it, or no stream could be
//   opened any more). Streams still open when the session ends (a fatal error, shutdown(), or
//   the connection lost) never close: open_stream_ids() names them.
// - Request bodies go out as the peer's windows allow; the body's bytes must stay valid until
//   the stream's stream_closed event. Received data is consumed as it is fed: its window goes
//   back to the peer without the caller's help.
// - Requests beyond the peer's SETTINGS_MAX_CONCURRENT_STREAMS wait inside nghttp2 until a
//   stream closes; free_slots() says how many could start now.
// - Not thread-safe; one session per connection. Views in events live until clear_events().
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "h2/error_code.hpp"
#include "h2/event.hpp"
#include "h2/settings.hpp"

namespace barrage::h2 {

namespace detail {
class session_core;
}

/// One request. Field names must be lowercase and not HTTP/1.1 connection fields
/// (connection, keep-alive, transfer-encoding, upgrade, te other than "trailers"). An empty
/// body sends END_STREAM with the headers.
struct request {
  std::string_view method = "GET";
  std::string_view scheme = "http";
  std::string_view authority;
  std::string_view path = "/";
  std::span<const field> fields;
  std::string_view body;
  /// The caller vouches that this request (the same bytes) was submitted without error
  /// before, and that its strings (method, authority, path, fields) outlive the session: it
  /// is then neither checked nor copied again (a generator sends one request many times).
  bool pinned = false;
};

class client_session {
 public:
  /// Throws std::invalid_argument when check(options) is not empty, std::bad_alloc.
  explicit client_session(const session_options& options = {});
  ~client_session();
  client_session(client_session&&) noexcept;
  client_session& operator=(client_session&&) noexcept;

  /// Queues a request; returns its stream id (odd, increasing). Fails without side effects on
  /// an invalid request (NGHTTP2_ERR_INVALID_ARGUMENT), when stream ids are exhausted, or
  /// after a GOAWAY either way.
  result<std::int32_t, session_error> submit(const request& r) noexcept;

  /// Takes the bytes the peer sent, in any split; events go to events(). Returns how many it
  /// took: all, or fewer once the events hold session_options::max_event_bytes; then handle
  /// the events, clear_events(), and feed the rest.
  result<std::size_t, session_error> feed(std::string_view bytes) noexcept;
  /// The next bytes to write (up to 256 KiB; call again until empty), valid until the next
  /// call on the session. Sending may produce events too (stream_closed after a reset sent).
  result<std::string_view, session_error> take_output() noexcept;

  std::span<const event> events() const noexcept;
  void clear_events() noexcept;

  bool wants_read() const noexcept;
  bool wants_write() const noexcept;
  /// The peer's settings in force (RFC defaults before its SETTINGS frame arrives).
  peer_settings peer() const noexcept;
  /// Streams submitted and not yet closed.
  std::size_t open_streams() const noexcept;
  std::vector<std::int32_t> open_stream_ids() const;
  /// Streams that may start now under the peer's SETTINGS_MAX_CONCURRENT_STREAMS.
  std::size_t free_slots() const noexcept;

  /// Cancels one stream (RST_STREAM); its stream_closed follows once sent.
  result<void, session_error> reset_stream(std::int32_t stream, error_code code = error_code::cancel) noexcept;
  /// What the events of the header blocks and data received from now on carry: the fields,
  /// the data bytes (session_options::keep_fields, keep_data_bytes). A caller with one stream
  /// at a time sets them per request, so that requests whose response is not read pay nothing.
  void keep(bool fields, bool data_bytes) noexcept;
  /// Ends the connection: GOAWAY with `code`, then nothing more is read or sent.
  result<void, session_error> shutdown(error_code code = error_code::no_error) noexcept;

 private:
  std::unique_ptr<detail::session_core> core_;
};

}  // namespace barrage::h2
