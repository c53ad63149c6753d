#pragma once
// One client WebSocket connection over a net::transport: the opening handshake (the upgrade
// request, its 101 response read with the HTTP/1.1 response parser and checked by
// ws/handshake.hpp), then a ws::frame_codec (which does no I/O) and the reads and writes that
// move its bytes. One coroutine drives it: flush, then read, as the HTTP/2 connection does.
//
// Contract:
// - open() sends the request and reads the response head by `deadline`: the connection, or
//   why not (ws_open_failure). Bytes the server sent after the 101 are the first frames'.
// - flush() writes everything the codec has to send: 0, or -errno (-ETIMEDOUT at the deadline).
// - read() reads once (or takes the bytes left over from the handshake) and hands each event
//   the codec completes to `on_event`: bytes read, 0 when the peer closed, or -errno.
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/adaptive_buffer.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/transport.hpp"
#include "runtime/task.hpp"
#include "ws/frame_codec.hpp"
#include "ws/handshake.hpp"

namespace barrage::client {

/// Why an opening handshake did not complete.
struct ws_open_failure {
  enum class kind : std::uint8_t {
    status,     // the server answered with another status than 101
    invalid,    // a 101 that breaks RFC 6455 §4.1 (`rule`), or a response head that does not parse
    closed,     // the peer closed before the whole response head came
    timeout,    // the deadline passed
    io_error,   // a read or write failed (`error`: -errno)
  };
  kind what = kind::io_error;
  int status = 0;  // kind::status
  ws::handshake_error rule = ws::handshake_error::not_switching_protocols;  // kind::invalid, when a head parsed
  bool bad_head = false;  // kind::invalid: the response head did not parse
  long error = 0;         // kind::io_error
};

/// A reason key for the reports: "http_404", the rule a 101 broke ("bad_accept",
/// "unoffered_subprotocol" ...: ws::to_key), "bad_response", "closed", "handshake_timeout",
/// "reset", "io_error".
std::string to_key(const ws_open_failure& f);

/// What the client sends to open the connection.
struct ws_open_request {
  std::string_view host;    // Host field value
  std::string_view target;  // "/path?query"
  std::span<const std::pair<std::string, std::string>> headers;  // extra fields
  /// Offered in Sec-WebSocket-Protocol, in this order (none: the field is left out).
  std::span<const std::string> subprotocols;
  std::size_t max_message_bytes = 64u << 20;
};

class ws_connection {
 public:
  static task<result<ws_connection, ws_open_failure>> open(net::transport t, const ws_open_request& request,
                                                           time_point deadline);

  ws_connection(ws_connection&&) noexcept = default;
  ws_connection& operator=(ws_connection&&) noexcept = default;

  ws::frame_codec& codec() noexcept { return codec_; }
  bool has_output() const noexcept { return !codec_.pending_output().empty(); }
  std::uint64_t bytes_sent() const noexcept { return sent_; }
  std::uint64_t bytes_received() const noexcept { return received_; }
  /// The subprotocol the server chose among the offers; empty when it chose none.
  const std::string& subprotocol() const noexcept { return subprotocol_; }

  task<long> flush(time_point deadline);

  template <class F>
  task<long> read(time_point deadline, F&& on_event) {
    long n;
    if (!leftover_.empty()) {
      n = static_cast<long>(leftover_.size());
      for (const ws::event& e : codec_.feed(leftover_)) on_event(e);
      leftover_.clear();
      leftover_.shrink_to_fit();
      co_return n;
    }
    n = co_await transport_.read(buf_.data(), buf_.size(), deadline);
    if (n <= 0) co_return n;
    received_ += static_cast<std::uint64_t>(n);
    for (const ws::event& e : codec_.feed(std::string_view(buf_.data(), static_cast<std::size_t>(n)))) on_event(e);
    buf_.after_read(static_cast<std::size_t>(n));
    co_return n;
  }

  void close() noexcept { transport_.close(); }

 private:
  ws_connection(net::transport t, ws::frame_codec codec, std::string leftover);

  net::transport transport_;
  ws::frame_codec codec_;
  adaptive_buffer buf_;  // small while the connection idles, larger when reads fill it
  std::string leftover_;
  std::string subprotocol_;
  std::uint64_t sent_ = 0, received_ = 0;
};

}  // namespace barrage::client
