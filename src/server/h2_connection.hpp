#pragma once
// Internal to the server (not API): one HTTP/2 connection (RFC 9113), handed over by
// connection when its protocol is decided, once, as it opens: ALPN "h2" on TLS, or the
// client's preface on plain TCP (h2c with prior knowledge). It drives an h2::server_session
// (which does no I/O) with the transport, in three branches of one when_all:
// - the reader reads, feeds the session and handles its events: a request whose body has
//   ended starts its handler, a task of its own on this loop (streams run concurrently);
// - the writer writes whatever the session has to send, woken by the reader, by handlers
//   that answered and by streaming bodies;
// - the watch ends a connection whose responses wait on the client's flow-control windows
//   with no DATA byte sent for write_timeout (a window that never opens), with GOAWAY.
// A handler's task holds the connection's state (shared) while it runs: a stream closed or
// a connection ended cancels it, and nothing it does afterwards touches the session.
//
// Limits: SETTINGS_MAX_CONCURRENT_STREAMS is server_options::h2_max_streams (nghttp2 refuses
// streams above it, REFUSED_STREAM); a header block is bounded by max_head_bytes and
// max_headers (over them: GOAWAY ENHANCE_YOUR_CALM); a request body by max_body_bytes (413),
// the bodies of one connection's streams together by 4 x max_body_bytes (REFUSED_STREAM);
// the session's flood guard answers PING, SETTINGS and RST_STREAM floods with GOAWAY
// ENHANCE_YOUR_CALM; a connection with no stream open for idle_timeout gets GOAWAY NO_ERROR,
// and so does one whose client has used its last stream id (it can carry no more requests).
// docs/server.md, "HTTP/2".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "h2/server_session.hpp"
#include "net/transport.hpp"
#include "runtime/async_event.hpp"
#include "runtime/stop_scope.hpp"
#include "runtime/task.hpp"
#include "server/server.hpp"

namespace barrage::server::detail {

struct worker;
struct h2_stream;

/// The session options a server's options make (windows, header limits, streams).
h2::session_options h2_session_options(const server_options& o);

/// True when `bytes` (the first bytes of a plain TCP connection) is the HTTP/2 client
/// preface or a prefix of it; `complete` says whether all of it is there.
bool h2_preface_prefix(std::string_view bytes, bool& complete) noexcept;

class h2_connection : public std::enable_shared_from_this<h2_connection> {
 public:
  /// `io` is the accepted connection's transport; it must outlive serve().
  h2_connection(std::shared_ptr<server::state> st, worker& w, net::transport& io);
  ~h2_connection();
  h2_connection(const h2_connection&) = delete;
  h2_connection& operator=(const h2_connection&) = delete;

  /// The connection's whole life. `buf` is the read buffer to use, whose first `have` bytes
  /// were read already (the preface, or none after ALPN). Returns once the connection is
  /// over; cancelled (cut) like any task. Handlers still running are cancelled on return.
  task<void> serve(std::span<char> buf, std::size_t have);

  /// Drain: GOAWAY NO_ERROR; the open streams are answered, then the connection closes.
  void drain() noexcept;

  // For the streams (h2_stream.cpp).
  h2::server_session& session() noexcept { return session_; }
  bool ended() const noexcept { return ended_; }
  void wake_writer() { wake_.set(); }
  /// A handler's task is over: its stream goes once closed.
  void task_done(h2_stream& s) noexcept;
  server::state& state() noexcept { return *state_; }
  worker& owner() noexcept { return w_; }

 private:
  task<void> read_loop(std::span<char> buf, std::size_t have);
  task<void> write_loop();
  task<void> watch_loop();
  /// Feeds `bytes` to the session and handles every event; false once the session failed.
  bool feed_all(std::string_view bytes);
  void handle_events();
  void on_request(const h2::request_head& h);
  void on_data(const h2::data_chunk& d);
  void on_end(std::int32_t id);
  void on_closed(std::int32_t id);
  /// A fatal session error: GOAWAY with the code that fits it, when the session still can.
  void fail(const h2::session_error& e) noexcept;
  void stop_all() noexcept;
  h2_stream* find(std::int32_t id) noexcept;
  void erase(h2_stream* s) noexcept;

  std::shared_ptr<server::state> state_;
  worker& w_;
  const server_options& o_;
  net::transport& io_;
  h2::server_session session_;
  std::vector<std::unique_ptr<h2_stream>> streams_;  // open, or closed with their task running
  async_event wake_;
  stop_scope* reader_scope_ = nullptr;
  stop_scope* watch_scope_ = nullptr;
  bool reader_done_ = false;
  bool writer_done_ = false;
  bool ended_ = false;
  bool ids_exhausted_ = false;  // the client opened its last possible stream
  std::uint64_t bodies_ = 0;    // request body bytes held by the streams
};

}  // namespace barrage::server::detail
