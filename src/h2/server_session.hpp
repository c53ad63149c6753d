#pragma once
// The server side of one HTTP/2 connection (RFC 9113) over nghttp2, with no I/O: the same
// shape as client_session (feed, take_output, events), receiving request_head events and
// answering with respond(). docs/protocols.md, "The HTTP/2 wrapper".
//
//   h2::server_session s{{.max_concurrent_streams = 100}};
//   s.feed(bytes from the transport)        (the client's preface first: a wrong one is a
//                                             fatal NGHTTP2_ERR_BAD_CLIENT_MAGIC)
//   for (const h2::event& e : s.events())   request_head, data_chunk, stream_end, ...
//     on stream_end of a request: s.respond(stream, {.status = 200, .body = ...});
//   s.clear_events(); write every s.take_output() until it is empty
//
// Contract: as client_session's. Every request whose head began arriving gets exactly one
// stream_closed (the response sent and the request ended, or a reset). A request beyond
// session_options::max_concurrent_streams is refused by nghttp2 (RST_STREAM REFUSED_STREAM)
// before any event. The response body's bytes must stay valid until the stream's
// stream_closed event.
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

/// A final response (200..599). Field names as for requests; an empty body sends END_STREAM
/// with the headers.
struct response {
  int status = 200;
  std::span<const field> fields;
  std::string_view body;
  /// The body comes later, in pieces (stream_body()); `body` is then ignored.
  bool streaming = false;
};

class server_session {
 public:
  /// Throws std::invalid_argument when check(options) is not empty, std::bad_alloc.
  explicit server_session(const session_options& options = {});
  ~server_session();
  server_session(server_session&&) noexcept;
  server_session& operator=(server_session&&) noexcept;

  /// Takes the bytes the peer sent, in any split; events go to events(). Returns how many it
  /// took: all, or fewer once the events hold session_options::max_event_bytes; then handle
  /// the events, clear_events(), and feed the rest.
  result<std::size_t, session_error> feed(std::string_view bytes) noexcept;
  result<std::string_view, session_error> take_output() noexcept;
  std::span<const event> events() const noexcept;
  void clear_events() noexcept;

  /// Answers the request on `stream`, once: NGHTTP2_ERR_INVALID_ARGUMENT when the stream is
  /// not open, NGHTTP2_ERR_INVALID_STATE when it was answered already. It may be called
  /// before the request's body has all arrived.
  result<void, session_error> respond(std::int32_t stream, const response& r) noexcept;

  /// A streaming response's next piece: its bytes must stay valid until unsent(stream) is 0
  /// (they are copied into frames as the peer's windows allow) or the stream closes. Only
  /// when the previous piece is all taken (NGHTTP2_ERR_INVALID_STATE otherwise); `last` ends
  /// the body (an empty last piece just ends it).
  result<void, session_error> stream_body(std::int32_t stream, std::string_view piece, bool last) noexcept;
  /// The bytes of the response body's current piece (the whole body when not streaming) not
  /// yet framed: they wait for the peer's window. 0 for a stream that is not open.
  std::size_t unsent(std::int32_t stream) const noexcept;
  /// DATA payload bytes framed so far, over all streams.
  std::uint64_t data_bytes_sent() const noexcept;
  /// Header blocks reset for being over session_options' header limits so far.
  std::uint64_t oversized_heads() const noexcept;

  bool wants_read() const noexcept;
  bool wants_write() const noexcept;
  peer_settings peer() const noexcept;
  std::size_t open_streams() const noexcept;

  result<void, session_error> reset_stream(std::int32_t stream, error_code code = error_code::cancel) noexcept;
  /// A graceful GOAWAY (NO_ERROR, the last stream received): no new stream is accepted, the
  /// open ones go on; wants_read() turns false once they have all closed.
  result<void, session_error> drain() noexcept;
  /// GOAWAY with `code` and the last stream processed; then nothing more is read or sent.
  result<void, session_error> shutdown(error_code code = error_code::no_error) noexcept;

 private:
  std::unique_ptr<detail::session_core> core_;
};

}  // namespace barrage::h2
