#pragma once
// transport: the connected byte stream that client and server connections speak to, and
// the one seam where TLS (next) comes in. Plain TCP today: each operation is the TCP
// stream's own, inlined, so the hot path pays no indirection for the seam.
//
// Contract, for every kind of transport:
// - read / write / writev return an awaitable whose result is >= 0 bytes (0 from read: the
//   peer closed) or -errno; -ETIMEDOUT when `deadline` passed first. They try at once and
//   wait only when the socket would block.
// - try_write never waits: bytes written, or -errno (-EAGAIN when nothing could be written).
// - buffered() is true when the transport holds readable bytes the socket no longer shows
//   (a TLS record decrypted in part): a caller that waits for readability must read first.
// - protocol() is the application protocol the peers agreed on when the transport opened
//   (ALPN: "h2", "http/1.1"), empty when none was negotiated (plain TCP). A connection's
//   protocol is decided once, from the scheme, this value or an upgrade (docs/protocols.md).
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <string_view>

#include "base/clock.hpp"
#include "net/tcp.hpp"
#include "runtime/io.hpp"

namespace barrage::net {

class transport {
 public:
  /// What read and write return; a TLS transport will return an awaitable of its own here,
  /// which callers only co_await.
  using awaitable = io_awaiter;

  transport() = default;
  explicit transport(tcp_stream s) noexcept : tcp_(std::move(s)) {}

  bool is_open() const noexcept { return tcp_.valid(); }

  awaitable read(void* buf, std::size_t len, time_point deadline = time_point::max()) noexcept {
    return tcp_.read(buf, len).until(deadline);
  }
  awaitable write(const void* buf, std::size_t len, time_point deadline = time_point::max()) noexcept {
    return tcp_.write(buf, len).until(deadline);
  }
  awaitable writev(const iovec* iov, int n, time_point deadline = time_point::max()) noexcept {
    return tcp_.writev(iov, n).until(deadline);
  }
  long try_write(const void* buf, std::size_t len) noexcept {
    const ssize_t n = ::send(tcp_.native(), buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n >= 0 ? static_cast<long>(n) : -static_cast<long>(errno);
  }

  bool buffered() const noexcept { return false; }
  std::string_view protocol() const noexcept { return {}; }

  /// No more bytes from this side (a FIN); reads go on.
  void shutdown_write() noexcept { tcp_.shutdown_write(); }
  /// Both directions: wakes a read or write waiting on it, which then fails.
  void shutdown() noexcept {
    if (tcp_.valid()) ::shutdown(tcp_.native(), SHUT_RDWR);
  }
  void close() noexcept { tcp_.close(); }
  socket_address peer() const { return tcp_.peer(); }
  socket_address local() const { return tcp_.local(); }

 private:
  tcp_stream tcp_;
};

}  // namespace barrage::net
