#pragma once
// Internal to the server (not API): one client connection, its buffers, parser and request
// loop, in phases: read the head, read the body, dispatch to the handler, write the
// response, then keep the connection alive for the next request or close it. It speaks to
// its peer through net::transport only.
#include <array>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/adaptive_buffer.hpp"
#include "base/clock.hpp"
#include "http/parse_error.hpp"
#include "http/request_parser.hpp"
#include "net/transport.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/task.hpp"
#include "server/request.hpp"
#include "server/response.hpp"
#include "server/server.hpp"

namespace barrage::server::detail {

struct worker;
class h2_connection;

/// One client connection. Lives in the frame of the task that serves it (serve_connection).
/// Its read buffer starts at 2 KiB and doubles when a read fills it, up to max_head_bytes +
/// 8 KiB; 16 head fields are held in place, more (up to max_headers) once a head needs them;
/// the output starts with 1 KiB reserved. After a run of small requests and answers
/// (adaptive_buffer::quiet_rounds) the grown ones go back to these sizes.
class connection final : public body_writer {
 public:
  static constexpr std::size_t initial_buffer = 2 * 1024;
  static constexpr std::size_t few_fields = 16;
  static constexpr std::size_t out_reserve = 1024;

  connection(std::shared_ptr<server::state> st, worker& w, net::transport io);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// The connection's whole life; never throws.
  task<void> serve();

  /// Drain: an idle connection (waiting for a next request, or lingering after its last
  /// answer) is closed now.
  void close_if_idle() noexcept;
  /// Cut: the transport is shut down and the task stopped wherever it waits.
  void cut() noexcept;

  connection* prev = nullptr;
  connection* next = nullptr;

  // body_writer
  task<bool> write(std::string_view data) override;
  bool ok() const noexcept override { return !write_failed_; }

 private:
  enum class phase : std::uint8_t { idle, head, body, handling, writing, closing };
  /// What follows a written response.
  enum class after : std::uint8_t { next_request, close, stop };
  /// Before a read for more of a head.
  enum class head_wait : std::uint8_t { read, end, too_large };
  /// A rendered response: the body left to write (none when it went into out_ with the head).
  struct rendered {
    body_framing_out body;
    bool keep;
  };
  /// The fields of a head the server itself looks at (begin_body()).
  struct head_fields {
    std::size_t kept = 0;       // fields_[0, kept): what the handler sees
    bool want_continue = false;  // Expect: 100-continue
    bool upgrade = false;        // an Upgrade field: maybe a WebSocket handshake
    int refuse_status = 0;       // non-zero: the request is answered with this and closed
    std::string_view refuse_why;
  };
  struct watchdog {
    timer_node node;  // first member of a standard-layout struct: on_timer() casts back
    connection* self;
  };

  /// Every wait of this connection on its transport: io_waiting_ is set while the operation
  /// waits, which is where the watchdog may stop the task and close_if_idle may close it.
  struct io_wait {
    net::transport::awaitable& op;  // a temporary of the co_await's full expression
    bool& waiting;
    bool await_ready() const noexcept { return false; }
    template <class P>
    auto await_suspend(std::coroutine_handle<P> h) noexcept {
      waiting = true;
      return op.await_suspend(h);
    }
    long await_resume() {
      waiting = false;
      return op.await_resume();
    }
  };
  /// The one timed wait: the watchdog is armed at `deadline` (set_deadline), then `op` waits.
  /// Only as `co_await timed(io_.read(...), deadline)`: the operation lives in that statement.
  io_wait timed(net::transport::awaitable&& op, time_point deadline) {
    set_deadline(deadline);
    return io_wait{op, io_waiting_};
  }

  /// Sending the pending output: done at once when the transport takes it all (no coroutine
  /// frame), else write_out() waits for the rest. True when all of it went out.
  struct flush_wait {
    task<bool> rest;  // empty: all sent
    bool await_ready() const noexcept { return !rest.valid(); }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return task<bool>::awaiter{rest.handle()}.await_suspend(h);
    }
    bool await_resume() { return !rest.valid() || task<bool>::awaiter{rest.handle()}.await_resume(); }
  };

  task<void> run();
  // The phases of one request, in run() (which holds their waits: see there). 1. The head.
  bool begin_request() noexcept;
  http::parse_status parse_head() noexcept;
  head_wait prepare_head_read() noexcept;
  time_point head_read_deadline() const noexcept;
  http::parse_status took_head_bytes(std::size_t n) noexcept;
  int head_error_status(http::parse_error e) const noexcept;
  /// A parsed head made ready for its body: more field slots when it had too many for the
  /// few in place, room behind it for a chunked body.
  http::parse_status settle_head(http::parse_status st);
  /// A head with more fields than few_fields: parsed again with max_headers slots.
  http::parse_status widen_fields();
  /// A chunked body needs room behind its head: the buffer grows to its largest and the head
  /// is parsed again there (its views point into the buffer).
  http::parse_status room_for_chunks(http::parse_status st);
  /// When the stall schedule (--stall-every) holds the server now: until then.
  std::optional<time_point> stalled_until() const noexcept;
  /// Idle, nothing buffered or pending: grown buffers shrink after a run of small requests.
  void rest() noexcept;
  void shrink_all() noexcept;
  // 2. The body (reading it: connection_body.cpp).
  head_fields begin_body(std::size_t head_length) noexcept;
  bool take_buffered_body(const http::request_head& head) noexcept;
  task<bool> read_body(const http::request_head& head, bool want_continue);
  task<bool> read_sized_body(std::uint64_t len, bool want_continue);
  task<bool> read_large_body(std::size_t len);
  task<bool> read_chunked_body(const http::body_framing& framing, bool want_continue);
  task<bool> read_more();
  flush_wait send_continue();
  // 3. Dispatch.
  const handler* dispatch(const http::request_head& head, std::size_t fields, response& resp);
  const handler* route(const http::request_head& head, response& resp);
  // 4. The response.
  rendered render_response(const http::request_head& head, response& resp, time_point started);
  task<after> write_body(body_framing_out mode, response& resp, bool keep);
  // Output, timers and the end.
  void start_head() noexcept;
  bool try_send_out() noexcept;
  flush_wait flush() {
    if (out_.empty()) return {};
    last_out_ = out_.size();
    if (try_send_out()) return {};
    return {write_out()};
  }
  task<bool> write_out(std::string_view extra = {}, std::string_view tail = {});
  task<void> send_error(int status, std::string_view why);
  task<void> linger();
  // TLS (connection_tls.cpp): the handshake before the first request, the close_notify last.
  task<bool> tls_handshake();
  task<void> tls_close(time_point deadline);
  // HTTP/2 (h2_handover.cpp): true when the connection spoke h2 (ALPN h2, or the h2c preface
  // on plain TCP) and is over; false: HTTP/1.1, with what was read in buf_.
  task<bool> h2_handover();
  // WebSocket (ws_upgrade.cpp): a valid upgrade's 101, then the connection is a ws_session's.
  task<void> serve_websocket(const http::request_head& head);
  void set_deadline(time_point d);
  void clear_deadline() noexcept { deadline_ = time_point::max(); }
  static void on_timer(timer_node* n) noexcept;

  std::shared_ptr<server::state> state_;
  worker& w_;
  const server_options& o_;
  event_loop* loop_;
  net::transport io_;
  adaptive_buffer buf_;
  std::size_t begin_ = 0, end_ = 0;
  std::size_t next_ = 0;  // the end of the current request's bytes in buf_
  std::size_t last_in_ = 0;   // bytes buf_ held when the last batch of requests was all taken
  std::size_t last_out_ = 0;  // bytes of the last output flushed
  unsigned quiet_ = 0;        // small requests in a row while something is grown (rest())
  std::array<http::header, few_fields> few_fields_;
  std::unique_ptr<http::header[]> more_fields_;  // max_headers slots, once a head needed more
  http::header* fields_;                          // the parser's slots: one of the two
  http::request_parser parser_;
  std::string out_;
  std::string body_buf_;
  std::string_view body_;  // the current request's body: in buf_ or body_buf_
  request req_;
  stop_scope* scope_ = nullptr;
  watchdog dog_{};
  time_point deadline_ = time_point::max();
  time_point head_deadline_{};
  unsigned answered_in_a_row_ = 0;  // pipelined requests answered without a read
  phase phase_ = phase::idle;
  bool io_waiting_ = false;
  bool timed_out_ = false;
  bool write_failed_ = false;
  bool tls_ready_ = false;   // the handshake completed: a close_notify is due at the end
  bool tls_closed_ = false;  // the close_notify was sent (or tried)
  h2_connection* h2_ = nullptr;  // while the connection speaks HTTP/2
  // The streamed body in progress.
  body_framing_out stream_mode_ = body_framing_out::none;
  std::uint64_t stream_left_ = 0;
};

/// The task of one accepted connection.
task<void> serve_connection(std::shared_ptr<server::state> st, worker& w, net::transport io);

}  // namespace barrage::server::detail
