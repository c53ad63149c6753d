#pragma once
// transport: the connected byte stream that client and server connections speak to, and
// the one seam where TLS comes in. A transport is plain TCP or TCP under a tls_session,
// chosen once when it opens. The plain path is the TCP stream's own operations, inlined: it
// pays one predictable branch for the seam and never allocates.
//
// Contract, for every kind of transport:
// - read / write / writev return an awaitable whose result is >= 0 bytes (0 from read: the
//   peer closed) or -errno; -ETIMEDOUT when `deadline` passed first. They try at once and
//   wait only when the socket would block.
// - try_write never waits: bytes written, or -errno (-EAGAIN when nothing could be written).
// - read_buffered never waits nor reads the socket: plaintext from TLS records already
//   received (> 0 bytes), 0 at the peer's close, -EAGAIN when no whole record is held (always,
//   for plain TCP), -EPROTO as read. A reply the record asked for (a key update's) goes out as
//   try_write's bytes do: what the socket does not take now goes before the next write's.
// - buffered() is true when the transport holds readable bytes the socket no longer shows
//   (a TLS record decrypted in part): a caller that waits for readability must read first.
// - protocol() is the application protocol the peers agreed on when the transport opened
//   (ALPN: "h2", "http/1.1"), empty when none was negotiated (plain TCP). A connection's
//   protocol is decided once, from the scheme, this value or an upgrade (docs/protocols.md).
//
// TLS (transport.cpp): the socket's bytes move through the session (tls_session does no
// I/O; the backend's own reads and writes carry its ciphertext). A read takes the ciphertext
// into the caller's buffer when it has room (else a scratch buffer for that read), and the
// session gives its buffers back once a read leaves it empty: an idle TLS connection holds
// its OpenSSL state and no buffer (docs/tls.md, Memory). handshake() must complete
// before read or write. A read returns 0 at the peer's close_notify and also when the peer
// closed without one (HTTP peers do; the response's framing tells a truncated body), and
// -EPROTO when a record does not decrypt (tls_error() says why). Each TLS operation is a
// task, whose frame comes from the thread's frame allocator cache.
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <new>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/tcp.hpp"
#include "net/tls_error.hpp"
#include "runtime/io.hpp"
#include "runtime/task.hpp"

namespace barrage::net {

class tls_session;

/// Why a TLS handshake did not complete.
struct handshake_failure {
  /// The deadline passed first (the caller counts it as a connect timeout).
  bool timed_out = false;
  /// Otherwise: why, as the session or the socket said it.
  tls_error error;
};

/// What a transport's read and write return: the plain path's io_awaiter, or the TLS path's
/// task. Callers only co_await it.
class transport_awaitable {
 public:
  transport_awaitable(io_awaiter a) noexcept : plain_(true) { ::new (static_cast<void*>(&io_)) io_awaiter(std::move(a)); }
  transport_awaitable(task<long> t) noexcept : plain_(false) { ::new (static_cast<void*>(&task_)) task<long>(std::move(t)); }
  transport_awaitable(transport_awaitable&& o) noexcept : plain_(o.plain_) {
    if (plain_) ::new (static_cast<void*>(&io_)) io_awaiter(std::move(o.io_));
    else ::new (static_cast<void*>(&task_)) task<long>(std::move(o.task_));
  }
  transport_awaitable& operator=(transport_awaitable&&) = delete;
  ~transport_awaitable() {
    if (plain_) io_.~io_awaiter();
    else task_.~task<long>();
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    if (plain_) [[likely]] {
      if (io_.await_suspend(h)) return std::noop_coroutine();
      return h;
    }
    return typename task<long>::awaiter{task_.handle()}.await_suspend(h);
  }
  long await_resume() {
    if (plain_) [[likely]] return io_.await_resume();
    return task_.handle().promise().take();
  }

 private:
  union {
    io_awaiter io_;
    task<long> task_;
  };
  bool plain_;
};

class transport {
 public:
  using awaitable = transport_awaitable;

  transport() noexcept;
  explicit transport(tcp_stream s) noexcept;
  /// TLS over `s`: call handshake() before anything else.
  transport(tcp_stream s, tls_session session);
  transport(transport&&) noexcept;
  transport& operator=(transport&&) noexcept;
  ~transport();

  bool is_open() const noexcept { return tcp_.valid(); }
  bool is_tls() const noexcept { return tls_ != nullptr; }

  awaitable read(void* buf, std::size_t len, time_point deadline = time_point::max()) noexcept {
    if (!tls_) [[likely]] {
      if (stamps_) return tcp_.read_stamped(buf, len, &stamp_).until(deadline);
      return tcp_.read(buf, len).until(deadline);
    }
    return tls_read(buf, len, deadline);
  }
  /// read() with `timer` as its deadline's timer on plain TCP (io_awaiter::until): for reads
  /// in a series, whose deadlines move forward. TLS reads time out as read() does.
  awaitable read(void* buf, std::size_t len, time_point deadline, lazy_timer& timer) noexcept {
    if (!tls_) [[likely]] {
      if (stamps_) return tcp_.read_stamped(buf, len, &stamp_).until(timer, deadline);
      return tcp_.read(buf, len).until(timer, deadline);
    }
    return tls_read(buf, len, deadline);
  }
  /// Plain TCP: from now on each read also takes the kernel's receive time of its data
  /// (receive_stamp()). False for TLS (its reads carry ciphertext through the session; the
  /// caller keeps its own clock) and when the socket refuses (it then reads as before).
  bool enable_receive_stamps() noexcept {
    if (tls_ || !tcp_.valid()) return false;
    stamps_ = tcp_.enable_receive_stamps();
    return stamps_;
  }
  bool receive_stamps() const noexcept { return stamps_; }
  /// With receive stamps: the kernel's receive time (CLOCK_REALTIME, ns since the epoch) of
  /// the last segment the last successful read returned; 0 when that read had none.
  std::int64_t receive_stamp() const noexcept { return stamp_; }
  awaitable write(const void* buf, std::size_t len, time_point deadline = time_point::max()) noexcept {
    if (!tls_) [[likely]] return tcp_.write(buf, len).until(deadline);
    return tls_write(buf, len, deadline);
  }
  awaitable writev(const iovec* iov, int n, time_point deadline = time_point::max()) noexcept {
    if (!tls_) [[likely]] return tcp_.writev(iov, n).until(deadline);
    return tls_writev(iov, n, deadline);
  }
  long try_write(const void* buf, std::size_t len) noexcept {
    if (tls_) return tls_try_write(buf, len);
    return tcp_.try_write(buf, len);
  }
  long read_buffered(void* buf, std::size_t len) noexcept {
    if (!tls_) [[likely]] return -EAGAIN;
    return tls_read_buffered(buf, len);
  }

  /// TLS: runs the handshake to its end, sending and reading on this loop until `deadline`.
  /// Plain TCP: succeeds at once.
  task<result<void, handshake_failure>> handshake(time_point deadline = time_point::max());

  /// TLS: queues a close_notify and sends it, after whatever ciphertext still waits (a
  /// try_write's remainder), until `deadline`: 0, or -errno (-ETIMEDOUT, -EPIPE; -EPROTO when
  /// the handshake never finished). Plain TCP: 0 at once (a caller on the plain path need not
  /// call it: it makes a coroutine frame).
  task<long> close_notify(time_point deadline = time_point::max());

  bool buffered() const noexcept;
  std::string_view protocol() const noexcept;
  /// TLS: the session (version, cipher, resumed ...); null for plain TCP.
  const tls_session* tls() const noexcept;
  /// TLS: why the last operation that returned -EPROTO failed (a record that does not decrypt,
  /// an alert: in TLS 1.3 a server that refuses the client's certificate says so with an alert
  /// that arrives with the first read after the handshake). Null for plain TCP.
  const tls_error* tls_failure() const noexcept;

  /// No more bytes from this side (a FIN); reads go on.
  void shutdown_write() noexcept { tcp_.shutdown_write(); }
  /// Both directions: wakes a read or write waiting on it, which then fails.
  void shutdown() noexcept { tcp_.shutdown(); }
  void close() noexcept { tcp_.close(); }
  socket_address peer() const { return tcp_.peer(); }
  socket_address local() const { return tcp_.local(); }

  struct tls_part;

 private:
  task<long> tls_read(void* buf, std::size_t len, time_point deadline);
  task<long> tls_write(const void* buf, std::size_t len, time_point deadline);
  task<long> tls_writev(const iovec* iov, int n, time_point deadline);
  long tls_try_write(const void* buf, std::size_t len) noexcept;
  long tls_read_buffered(void* buf, std::size_t len) noexcept;
  /// Sends the session's pending output: 0, or -errno. Returns 0 at once when another task is
  /// sending (it sends these bytes too).
  task<long> flush(time_point deadline);
  /// Until no task is sending (a writer's records go out behind the earlier ones).
  task<void> wait_for_sender();

  tcp_stream tcp_;
  std::unique_ptr<tls_part> tls_;
  std::int64_t stamp_ = 0;
  bool stamps_ = false;
};

}  // namespace barrage::net
