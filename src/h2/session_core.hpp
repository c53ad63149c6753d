#pragma once
// The nghttp2 session behind client_session and server_session (internal to src/h2): it owns
// the nghttp2_session, turns nghttp2's callbacks into event values, keeps the bytes those
// events point to, and the state of the streams it has opened or accepted. No I/O; no
// exception leaves a callback (one becomes NGHTTP2_ERR_CALLBACK_FAILURE, a fatal error).
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "h2/byte_arena.hpp"
#include "h2/session_memory.hpp"
#include "h2/error_code.hpp"
#include "h2/event.hpp"
#include "h2/settings.hpp"

namespace barrage::h2::detail {

enum class role { client, server };

/// The pseudo-headers of a message being sent.
struct outgoing_head {
  std::string_view method, scheme, authority, path;  // request
  int status = 0;                                    // response
  /// Request: checked by an earlier submit, its strings outliving the session (sent
  /// unchecked and uncopied: NGHTTP2_NV_FLAG_NO_COPY_*).
  bool pinned = false;
};

class session_core {
 public:
  /// Throws std::invalid_argument for options check() rejects, std::bad_alloc without memory.
  session_core(role r, const session_options& options);
  ~session_core();
  session_core(const session_core&) = delete;
  session_core& operator=(const session_core&) = delete;

  result<std::size_t, session_error> feed(std::string_view bytes) noexcept;
  result<std::string_view, session_error> take_output() noexcept;
  std::span<const event> events() const noexcept { return events_; }
  void clear_events() noexcept;

  bool wants_read() const noexcept { return nghttp2_session_want_read(s_) != 0; }
  bool wants_write() const noexcept { return nghttp2_session_want_write(s_) != 0; }
  peer_settings peer() const noexcept;
  /// peer().max_concurrent_streams alone (free_slots() asks before every submit).
  std::uint32_t peer_max_streams() const noexcept;
  std::size_t open_streams() const noexcept { return streams_.size(); }
  std::vector<std::int32_t> open_stream_ids() const;

  /// Client: a new stream (its id) with `head` and `fields`, then `body` under flow control.
  result<std::int32_t, session_error> submit_request(const outgoing_head& head, std::span<const field> fields,
                                                     std::string_view body) noexcept;
  /// Server: the response on `stream`, a request this session received.
  result<void, session_error> submit_response(std::int32_t stream, const outgoing_head& head,
                                              std::span<const field> fields, std::string_view body,
                                              bool streaming = false) noexcept;
  /// Server, a streaming response: the next piece of its body (the caller's bytes, valid until
  /// unsent(stream) is 0 or the stream closes); `last` ends the body.
  result<void, session_error> stream_body(std::int32_t stream, std::string_view piece, bool last) noexcept;
  /// The bytes of the stream's current body piece not yet taken into the output; 0 for a
  /// stream that is not open.
  std::size_t unsent(std::int32_t stream) const noexcept;
  /// Every DATA byte taken into the output so far (the connection's progress).
  std::uint64_t data_bytes_sent() const noexcept { return data_sent_; }
  /// Server: header blocks reset for exceeding the header limits so far.
  std::uint64_t oversized_heads() const noexcept { return oversized_heads_; }
  /// Server: GOAWAY with NO_ERROR and the last stream received; streams up to it go on.
  result<void, session_error> drain() noexcept;
  result<void, session_error> reset_stream(std::int32_t stream, error_code code) noexcept;
  result<void, session_error> shutdown(error_code code) noexcept;
  /// session_options::keep_fields and keep_data_bytes, from now on.
  void set_keep(bool fields, bool data_bytes) noexcept {
    options_.keep_fields = fields;
    options_.keep_data_bytes = data_bytes;
  }

 private:
  friend struct callbacks;

  /// A stream this session opened (client) or accepted (server), until stream_closed.
  struct stream_state {
    std::int32_t id = 0;
    std::string_view body;  // the caller's bytes being sent
    std::size_t sent = 0;
    bool responded = false;  // server: respond() succeeded once
    bool streaming = false;  // server: the body comes in pieces (stream_body)
    bool more = false;       // streaming: pieces follow the current one
    bool deferred = false;   // streaming: nghttp2 waits for the next piece
  };
  /// The header block being received (blocks do not interleave: RFC 9113 §4.3). Its bytes
  /// live in their own arena, since a block may span feeds with clear_events() between them;
  /// emit_head() copies them into the events' arena.
  struct incoming_head {
    std::vector<field> fields;
    std::string_view method, scheme, authority, path;
    int status = 0;
    std::size_t bytes = 0;
    bool rejected = false;  // over the limits: the stream is being reset
    byte_arena bytes_held{4096};
  };

  bool over_budget() const noexcept { return arena_.used() >= options_.max_event_bytes; }
  /// Server: spends one token of the flood guard for a frame that costs an answer or a
  /// stream (PING, SETTINGS, RST_STREAM); false once the client is over
  /// session_options::flood_burst: the session is terminated with ENHANCE_YOUR_CALM.
  bool spend_flood_token();
  stream_state* find(std::int32_t id) noexcept;
  void close(std::int32_t id, std::uint32_t code);
  void emit_head(const nghttp2_frame& frame);
  result<void, session_error> build_nva(const outgoing_head& head, std::span<const field> fields) noexcept;

  session_memory memory_;  // nghttp2's allocations, until nghttp2_session_del in ~session_core
  nghttp2_session* s_ = nullptr;
  role role_;
  session_options options_;
  std::vector<event> events_;
  byte_arena arena_;
  incoming_head incoming_;
  std::vector<stream_state> streams_;  // few (bounded by concurrency): searched linearly
  std::vector<nghttp2_nv> nva_;
  std::string status_text_;
  std::string out_;
  std::uint64_t data_sent_ = 0;
  std::uint64_t oversized_heads_ = 0;
  double flood_tokens_ = 0;
  std::int64_t flood_refilled_ns_ = 0;
};

}  // namespace barrage::h2::detail
