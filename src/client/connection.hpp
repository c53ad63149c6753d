#pragma once
// One HTTP/1.1 connection: keep-alive, one request at a time or a pipelined batch, the
// response framed by the codec as it arrives and its body discarded (counted) or kept.
// Its read buffer starts at 1 KiB (most servers' response heads are shorter) and doubles when a
// read fills it (a large head, a large body, a pipelined burst), up to 64 KiB; after a run of
// small responses it shrinks back. Its head
// fields fit 16 slots in place; a response with more moves them to 64 slots (kept from then).
// No allocation per request once the buffer has its size.
#include <algorithm>
#include <array>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/adaptive_buffer.hpp"
#include "base/clock.hpp"
#include "client/body_watch.hpp"
#include "client/outcome.hpp"
#include "http/chunked_decoder.hpp"
#include "http/response_parser.hpp"
#include "net/transport.hpp"
#include "runtime/lazy_timer.hpp"
#include "runtime/task.hpp"

namespace barrage::client {

/// What a caller keeps of a response beyond its outcome (the load generator keeps nothing).
struct response_data {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// At most this much of the body is kept (all of it is still read and counted);
  /// body_truncated says the rest was left out.
  std::size_t max_body = SIZE_MAX;
  bool body_truncated = false;
};

/// Per-exchange limits; deadlines are absolute.
struct exchange_deadlines {
  time_point total = time_point::max();
  time_point first_byte = time_point::max();
};

class connection {
 public:
  static constexpr std::size_t initial_buffer = 1024;
  static constexpr std::size_t largest_buffer = 64 * 1024;  // or the head limit, when larger
  static constexpr std::size_t few_fields = 16;  // head fields held in place
  static constexpr std::size_t most_fields = 64;  // ... and at most

  /// The read buffer's size now (for tests of its growth).
  std::size_t buffer_size() const noexcept { return buf_.size(); }

  explicit connection(net::transport t, http::response_limits limits = {});
  /// Parses heads into `fields` (few_fields slots) instead of its own: slots shared by the
  /// connections of one thread, as a head's fields are read (Location, keep, the watch) before
  /// the receiver step that parsed them returns, never after a wait. A head with more fields
  /// still moves to the connection's own most_fields slots.
  connection(net::transport t, http::response_limits limits, std::span<http::header, few_fields> fields);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  bool is_open() const noexcept { return stream_.is_open(); }
  /// Requests answered on this connection so far.
  std::uint64_t uses() const noexcept { return uses_; }
  /// A grown read buffer is kept (not shrunk after quiet responses): for pipelined requests,
  /// whose batches arrive in reads of any size, so that growing and shrinking never cycle.
  void keep_grown_buffer() noexcept { keep_grown_ = true; }
  void close() noexcept {
    stream_.close();
    read_timer_.release_if_idle();  // a closed connection leaves no timer in the loop
  }
  /// TLS: why the last read or write failed with a tls_ kind (its outcome's tls_detail); null for plain TCP.
  const net::tls_error* tls_failure() const noexcept { return stream_.tls_failure(); }
  /// Bytes written to the socket by send() over this connection's life: what was actually
  /// sent, not what was meant to be.
  std::uint64_t bytes_sent() const noexcept { return sent_; }
  /// When set, receive() keeps the Location field of each 3xx response (for following
  /// redirects); location() is then that value, empty when the response had none.
  void keep_location(bool on) noexcept { keep_location_ = on; }
  const std::string& location() const noexcept { return location_; }
  /// Plain TCP: first byte and completion are taken from the kernel's receive time of the
  /// reads that brought them (net::transport::enable_receive_stamps), not from the clock when
  /// the reads return: right however late the loop reads (an event loop that holds I/O), for
  /// one response in flight at a time (a read spanning several responses has the last one's
  /// time). False for TLS, which keeps the clock.
  bool enable_receive_stamps() noexcept { return stream_.enable_receive_stamps(); }
  /// Watches every response's body from now on (body_watch.hpp); null: none (the default).
  void set_watch(std::unique_ptr<body_watch> w) noexcept { watch_ = std::move(w); }

  /// What send() returns: its result at once when the socket took the whole request in one
  /// call without waiting (no coroutine frame), else the task that writes the rest.
  class send_awaitable {
   public:
    explicit send_awaitable(error_kind done) noexcept : done_(done) {}
    explicit send_awaitable(task<error_kind> rest) noexcept : rest_(std::move(rest)), waits_(true) {}
    bool await_ready() const noexcept { return !waits_; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return typename task<error_kind>::awaiter{rest_.handle()}.await_suspend(h);
    }
    error_kind await_resume() { return waits_ ? rest_.handle().promise().take() : done_; }

   private:
    task<error_kind> rest_;
    error_kind done_ = error_kind::none;
    bool waits_ = false;
  };

  /// Writes `request` (one or several complete requests: a pipelined batch) and returns
  /// when the whole of it is written, or with the error. Plain TCP first offers the bytes to
  /// the socket without waiting (try_write); only what it leaves takes a coroutine.
  send_awaitable send(std::string_view request, time_point deadline);
  /// The write calls the last send() made: 1 when the socket took the whole request at once
  /// (writing then took only that call's time), more when it had to wait for room.
  unsigned send_calls() const noexcept { return send_calls_; }

  /// Reads the next response. `start` is what phase times count from. A response whose last
  /// byte came with its first (already buffered, as pipelined ones often are, or in one read)
  /// completes when its first byte is seen: one clock read per response, not two.
  /// `head_request` says
  /// the request was HEAD; a non-null `keep` receives the headers and the body. The
  /// connection closes itself when the response says so or on any error.
  task<outcome> receive(time_point start, exchange_deadlines dl, bool head_request = false,
                        response_data* keep = nullptr);

  /// receive() in steps, run in the caller's own coroutine frame: no frame per response.
  ///   connection::receiver rx(conn, start, dl, head_request, keep);
  ///   while (rx.reading()) rx.take(co_await rx.read());
  ///   if (rx.needs_body()) rx.body_read(co_await rx.read_body());
  ///   outcome o = rx.finish();
  /// receive() is exactly this. The connection outlives the receiver; one at a time.
  class receiver {
   public:
    receiver(connection& c, time_point start, exchange_deadlines dl, bool head_request, response_data* keep);
    receiver(const receiver&) = delete;
    receiver& operator=(const receiver&) = delete;
    /// The head is not complete: read() and take() its result.
    bool reading() const noexcept { return phase_ == phase::head; }
    net::transport::awaitable read() { return c_->read_more(deadline()); }
    /// A read's result: bytes read, 0 at end, or -errno.
    void take(long n);
    /// The body needs reads: read_body() and give its result to body_read().
    bool needs_body() const noexcept { return phase_ == phase::body; }
    task<error_kind> read_body() { return c_->read_body(framing_, dl_.total, o_, body_); }
    void body_read(error_kind e);
    /// The outcome, once neither reading() nor needs_body().
    outcome finish() noexcept { return o_; }
    /// The same in place: for a caller that completes it (phases, attempts) without a copy.
    outcome& result() noexcept { return o_; }

   private:
    enum class phase : std::uint8_t { head, body, done };
    time_point deadline() const noexcept {
      return o_.times.first_byte ? dl_.total : std::min(dl_.total, dl_.first_byte);
    }
    std::int64_t since() const noexcept { return to_ns(mono_clock::now() - start_); }
    void on_head(http::parse_status st);
    void complete();
    void fail(error_kind k);

    connection* c_;
    outcome o_;
    time_point start_;
    exchange_deadlines dl_;
    response_data* keep_;
    std::string* body_;
    std::uint64_t reads_at_first_byte_;
    http::body_framing framing_{};
    phase phase_ = phase::head;
    bool watching_ = false;  // the watch saw this response's head
    bool keep_alive_ = false;
    bool head_request_;
  };

  /// send + receive for one request.
  task<outcome> exchange(std::string_view request, time_point start, exchange_deadlines dl,
                         bool head_request = false, response_data* keep = nullptr);

 private:
  /// send() from byte `done` on, counting its write calls on from send_calls_.
  task<error_kind> send_rest(std::string_view request, std::size_t done, time_point deadline);
  std::string_view buffered() const noexcept { return {buf_.data() + rpos_, wpos_ - rpos_}; }
  /// Reads more bytes after what is buffered: awaiting it yields bytes read, 0 at end, or
  /// -errno, which `filled` then accounts. Not a coroutine: no frame per plain read.
  net::transport::awaitable read_more(time_point deadline);
  /// With receive stamps: when the last read's data came, on the monotonic clock (the
  /// kernel's CLOCK_REALTIME stamp moved by the clocks' offset now), not before `floor`; the
  /// clock now when the read had no stamp.
  time_point stamped_read_time(time_point floor) const noexcept;
  /// The error kind of a failed read or write: from the TLS session's reason for -EPROTO.
  error_kind failure_of(long negative_errno) const noexcept;
  long filled(long n) noexcept {
    if (n > 0) wpos_ += static_cast<std::size_t>(n);
    return n;
  }
  /// Consumes a body that needs no read (none, or a Content-Length body already buffered
  /// whole); false when read_body must run. Saves a coroutine frame per small response.
  bool take_buffered_body(const http::body_framing& framing, outcome& o, std::string* body);
  task<error_kind> read_body(const http::body_framing& framing, time_point deadline, outcome& o, std::string* body);
  /// Before a read when the last one filled the buffer: doubles it, or at its largest moves
  /// the unread bytes to its front.
  void make_room();
  /// After a response, with nothing buffered: a grown buffer back to its initial size once
  /// responses have been small for a while (adaptive_buffer::at_rest), unless keep_grown_buffer().
  void rest_after(std::uint64_t bytes_in);
  /// A head with more fields than few_fields: parsed again with most_fields slots.
  http::parse_status widen_fields(bool head_request);
  /// Appends to a kept body within the receive's limit (response_data::max_body).
  void keep_body(std::string* body, std::string_view data);

  net::transport stream_;
  lazy_timer read_timer_;  // every read's deadline (no timer-heap operation per read)
  adaptive_buffer buf_;
  bool keep_grown_ = false;
  std::size_t rpos_ = 0, wpos_ = 0;
  std::array<http::header, few_fields> fields_{};
  std::unique_ptr<http::header[]> more_fields_;  // most_fields slots, after a head needed them
  http::response_limits limits_;
  http::response_parser parser_;
  std::uint64_t uses_ = 0;
  std::uint64_t sent_ = 0;
  unsigned send_calls_ = 0;
  bool keep_location_ = false;
  std::string location_;
  std::uint64_t reads_ = 0;  // read_more() calls: says whether a response needed another read
  std::unique_ptr<body_watch> watch_;
  time_point read_at_{};  // with a watch: when the last read returned
  std::size_t body_limit_ = SIZE_MAX;  // the current receive's response_data::max_body
  bool body_over_ = false;             // ... and whether the body went past it
};

/// The error kind of a failed socket call (a -errno result).
error_kind from_errno(long negative_errno) noexcept;

/// The error kind of a TLS failure after the handshake: tls_verify or tls_handshake for what
/// belongs to the handshake (TLS 1.3 reports a refused client certificate with the first read),
/// io_error for a record that does not decrypt or an unexpected alert.
error_kind from_tls(net::tls_errc k) noexcept;

}  // namespace barrage::client
