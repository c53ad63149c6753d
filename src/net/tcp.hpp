#pragma once
// TCP on the runtime: connect with a timeout, listen and accept, and a stream whose reads
// and writes try the syscall first and wait only on EAGAIN. TCP_NODELAY is on by default.
// Failures are values: std::errc from the failing syscall (timed_out for a connect timeout).
#include <system_error>

#include "base/result.hpp"
#include "net/address.hpp"
#include "runtime/io.hpp"
#include "runtime/task.hpp"

namespace barrage::net {

class tcp_stream {
 public:
  tcp_stream() = default;
  explicit tcp_stream(async_fd fd) noexcept : fd_(std::move(fd)) {}

  bool valid() const noexcept { return fd_.valid(); }
  int native() const noexcept { return fd_.fd(); }
  /// >= 0 bytes (0: the peer closed), or -errno.
  io_awaiter read(void* buf, std::size_t len) noexcept { return fd_.read(buf, len); }
  io_awaiter write(const void* buf, std::size_t len) noexcept { return fd_.write(buf, len); }
  io_awaiter writev(const iovec* iov, int n) noexcept { return fd_.writev(iov, n); }
  /// Writes everything (looping on short writes): len, or -errno.
  task<long> write_all(const void* buf, std::size_t len);
  void shutdown_write() noexcept;
  void close() noexcept { fd_.close(); }
  socket_address peer() const;
  socket_address local() const;

 private:
  async_fd fd_;
};

struct connect_options {
  duration timeout = std::chrono::seconds(10);
  /// Bound before connecting (port 0: chosen at connect, per source address; see
  /// source_addresses.hpp). Must be of the target's family and outlive the connect.
  const socket_address* source = nullptr;
  bool nodelay = true;
};

/// Connects on the current loop. Errors: connection_refused, timed_out,
/// too_many_files_open, network_unreachable, ...
task<result<tcp_stream, std::errc>> tcp_connect(socket_address to, connect_options opts = {});

class tcp_listener {
 public:
  struct options {
    int backlog = 4096;
    bool reuse_port = false;  // one listener per loop on the same port
  };
  tcp_listener() = default;
  /// Binds and listens. Throws std::system_error (setup failure: port in use, ...).
  static tcp_listener bind(const socket_address& at, options opts);
  static tcp_listener bind(const socket_address& at) { return bind(at, options{}); }

  /// A connected, non-blocking, TCP_NODELAY stream; or the accept error (EMFILE, ...), which
  /// the caller must back off from rather than retry at once.
  task<result<tcp_stream, std::errc>> accept(socket_address* peer = nullptr);
  socket_address local() const;
  bool valid() const noexcept { return fd_.valid(); }
  void close() noexcept { fd_.close(); }

 private:
  async_fd fd_;
};

void set_nodelay(int fd) noexcept;

}  // namespace barrage::net
