#pragma once
// One HTTP/2 connection over a net::transport: an h2::client_session (which does no I/O) and
// the reads and writes that move its bytes. The caller submits requests, flushes, reads, and
// handles the session's events (docs/protocols.md, "The HTTP/2 wrapper"). It owns one read
// buffer for its whole life; the session's events point into its own arena.
//
// Contract:
// - flush() writes everything the session has to send: none, or the error kind of the write.
// - read() reads once (and on, while the transport holds bytes already received: TLS records)
//   and feeds every byte to the session, handing each event to `on_event` (the session may
//   pause a feed at its event budget: the events are handled and cleared, and the rest fed):
//   bytes read, 0 when the peer closed, or -errno (-ETIMEDOUT at the deadline).
// - alive() turns false when the session is over (GOAWAY exchanged, a fatal error): streams
//   still open then never close; the caller counts each one as failed.
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "base/clock.hpp"
#include "client/outcome.hpp"
#include "h2/client_session.hpp"
#include "net/transport.hpp"
#include "runtime/task.hpp"

namespace barrage::client {

class h2_connection {
 public:
  static constexpr std::size_t read_buffer = 32 * 1024;
  /// read() gathers a batch's records while at least this much of the buffer is free.
  static constexpr std::size_t gather_room = 4096;

  /// Throws std::invalid_argument for options h2::check() rejects.
  h2_connection(net::transport t, const h2::session_options& options);

  h2::client_session& session() noexcept { return session_; }
  bool alive() const noexcept { return session_.wants_read() || session_.wants_write(); }
  /// Bytes written to the socket so far.
  std::uint64_t bytes_sent() const noexcept { return sent_; }
  /// Bytes read from the socket so far.
  std::uint64_t bytes_received() const noexcept { return received_; }
  /// The session failed fatally (nghttp2's error, a callback failure): alive() is false.
  bool failed() const noexcept { return failed_; }

  task<error_kind> flush(time_point deadline);

  template <class F>
  task<long> read(time_point deadline, F&& on_event) {
    const long n = co_await transport_.read(buf_.get(), read_buffer, deadline);
    if (n <= 0) co_return n;
    // TLS: one socket read brings several records, and a transport read returns one. The
    // records the transport holds already are taken without waiting (read_buffered) into the
    // rest of the buffer, and the session is fed the batch at once: one feed, one batch of
    // events, and then one write, serve them all. A partial record ends the batch.
    long total = 0;
    std::size_t have = static_cast<std::size_t>(n);
    for (;;) {
      bool full = false;
      for (;;) {
        if (read_buffer - have < gather_room) {
          full = true;
          break;
        }
        const long more = transport_.read_buffered(buf_.get() + have, read_buffer - have);
        if (more <= 0) break;  // the close or a failure: the next read() returns it
        have += static_cast<std::size_t>(more);
      }
      received_ += have;
      total += static_cast<long>(have);
      if (!feed_all({buf_.get(), have}, on_event) || !full || !alive()) co_return total;
      have = 0;
    }
  }

  void close() noexcept { transport_.close(); }
  /// Both directions: a read or write waiting on the connection wakes and fails.
  void shutdown() noexcept { transport_.shutdown(); }

 private:
  /// Hands `bytes` to the session, and each event to `on_event` (the session may pause a feed
  /// at its event budget: the events are handled and cleared, and the rest fed); false when
  /// the session failed (failed() is then true).
  template <class F>
  bool feed_all(std::string_view bytes, F& on_event) {
    while (!bytes.empty()) {
      auto took = session_.feed(bytes);
      if (!took) {
        failed_ = true;
        return false;
      }
      for (const h2::event& e : session_.events()) on_event(e);
      session_.clear_events();
      bytes.remove_prefix(*took);
    }
    return true;
  }

  net::transport transport_;
  h2::client_session session_;
  std::unique_ptr<char[]> buf_;
  std::uint64_t sent_ = 0, received_ = 0;
  bool failed_ = false;
};

}  // namespace barrage::client
