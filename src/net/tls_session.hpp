#pragma once
// tls_session: one connection's TLS state machine, with no I/O (bytes in, bytes out, as
// nghttp2 and wslay do). The caller moves ciphertext between the socket and the session:
// what the peer sent goes in with feed(), what must be sent comes out of pending_output().
// OpenSSL never touches a socket: the io_uring backend reads and writes sockets itself
// (docs/tls.md).
//
// Contract:
// - After every call (handshake, read, write, shutdown), pending_output() may hold ciphertext
//   to send: the caller sends it, in order, then consume_output()s what went out.
// - handshake(): done (pending output may still hold the last flight: send it, alone or with
//   the first write's records), want_write (send the pending output, then call again),
//   want_read (feed what the peer sends next, then call again), failed (error() says why;
//   pending output may hold an alert for the peer).
// - read(): > 0 plaintext bytes; 0 when the peer sent close_notify; want_read when a whole
//   record is not here yet; failed (error()). write(): plaintext bytes accepted (all of
//   them once the handshake is done), or failed.
// - peer_closed(): the peer closed its side of the stream; the handshake or a read then fails
//   (kinds handshake, unexpected_eof) instead of waiting for bytes that will never come.
// - Failures are values (tls_error). This thread's OpenSSL error queue is drained by every
//   call, so nothing leaks into another session.
// - Memory: OpenSSL's record buffers are released while idle (SSL_MODE_RELEASE_BUFFERS);
//   release_buffers() gives back this session's own buffers too when they are empty.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "net/tls_context.hpp"
#include "net/tls_error.hpp"

namespace barrage::net {

enum class tls_state { done, want_read, want_write, failed };

std::string_view to_string(tls_state s) noexcept;

class tls_session {
 public:
  /// What read() returns when no whole record is here yet, and when it failed.
  static constexpr long want_read = -1;
  static constexpr long failed = -2;

  /// A client connection to `host` (a DNS name, an IPv4 address or an IPv6 address, with or
  /// without brackets) on `port`: SNI for a name, the certificate checked against the name or
  /// address when the context verifies, and the last session of host:port offered when the
  /// context resumes.
  static result<tls_session, tls_error> client(const tls_context& ctx, std::string_view host, std::uint16_t port);
  static result<tls_session, tls_error> server(const tls_context& ctx);

  tls_session(tls_session&&) noexcept;
  tls_session& operator=(tls_session&&) noexcept;
  ~tls_session();

  void feed(std::span<const char> ciphertext);
  void peer_closed() noexcept;
  std::span<const char> pending_output() const noexcept;
  void consume_output(std::size_t n) noexcept;
  /// Moves the pending output into `into` (emptied first; its capacity becomes the session's
  /// next output buffer): a sender that waits on the socket holds bytes the session no longer
  /// touches, while a read or write adds more behind them.
  void take_output(std::string& into) noexcept;

  tls_state handshake();
  long read(std::span<char> plaintext);
  long write(std::span<const char> plaintext);
  /// Queues a close_notify: done, or failed (error()) when the handshake never finished.
  tls_state shutdown();

  /// Plaintext is ready, or ciphertext waits to be decrypted: read before waiting on the socket.
  bool buffered() const noexcept;
  bool handshake_done() const noexcept;
  /// The ALPN protocol agreed ("h2", "http/1.1"); empty when none.
  std::string_view protocol() const noexcept;
  /// "TLSv1.2", "TLSv1.3".
  std::string_view version() const noexcept;
  /// "TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256".
  std::string_view cipher() const noexcept;
  /// The handshake resumed an earlier session (no certificate exchanged).
  bool resumed() const noexcept;
  /// The last failure; meaningful after a call returned failed.
  const tls_error& error() const noexcept;

  /// Frees this session's input and output buffers when they hold nothing (an idle connection).
  void release_buffers() noexcept;

  struct state;

 private:
  explicit tls_session(std::unique_ptr<state> s) noexcept;
  std::unique_ptr<state> s_;
};

}  // namespace barrage::net
