#pragma once
// TCP on the runtime: connect with a timeout, listen and accept, and a stream whose reads
// and writes try the syscall first and wait only on EAGAIN. TCP_NODELAY is on by default.
// Failures are values: std::errc from the failing syscall (timed_out for a connect timeout).
#include <cstdint>
#include <system_error>
#include <utility>

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
  /// As read, with the kernel's receive time of the last segment read into *stamp
  /// (CLOCK_REALTIME ns; 0: none), once enable_receive_stamps() is on.
  io_awaiter read_stamped(void* buf, std::size_t len, std::int64_t* stamp) noexcept {
    return fd_.read_stamped(buf, len, stamp);
  }
  /// SO_TIMESTAMPING with software receive stamps: false when the socket refuses it.
  /// (It turns the kernel's receive timestamping on for the whole machine while set.)
  bool enable_receive_stamps() noexcept;
  io_awaiter write(const void* buf, std::size_t len) noexcept { return fd_.write(buf, len); }
  io_awaiter writev(const iovec* iov, int n) noexcept { return fd_.writev(iov, n); }
  /// Writes everything (looping on short writes): len, or -errno.
  task<long> write_all(const void* buf, std::size_t len);
  /// Without waiting: bytes taken, or -errno (-EAGAIN: none now).
  long try_write(const void* buf, std::size_t len) noexcept { return fd_.try_write(buf, len); }
  /// A FIN after every byte written so far.
  void shutdown_write() noexcept { fd_.shutdown(SHUT_WR); }
  /// Both directions: wakes a read or write waiting on it, which then fails.
  void shutdown() noexcept { fd_.shutdown(SHUT_RDWR); }
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

struct listen_options {
  int backlog = 4096;
  /// SO_REUSEPORT, for one listening socket per loop on the same port.
  enum class port_sharing : std::uint8_t {
    none,
    /// Binds as the port's only socket (a port another socket holds, even one with
    /// SO_REUSEPORT, is refused), then lets the sockets of this process join it.
    open_group,
    /// Joins the group another socket of this process opened on that port.
    join_group,
  };
  port_sharing reuse_port = port_sharing::none;
};

/// A bound, listening socket on no loop yet: made on one thread (where a port in use is
/// reported and port 0 is resolved), then handed to the loop that accepts on it
/// (tcp_listener). Closed on destruction.
class listening_socket {
 public:
  listening_socket() = default;
  /// Binds and listens. Throws std::system_error (setup failure: port in use, ...).
  static listening_socket bind(const socket_address& at, listen_options opts);
  listening_socket(listening_socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  listening_socket& operator=(listening_socket&& o) noexcept;
  ~listening_socket() { close(); }

  bool valid() const noexcept { return fd_ >= 0; }
  socket_address local() const;
  void close() noexcept;
  /// Gives up the fd to the caller.
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

/// A listening socket registered with the current thread's loop.
class tcp_listener {
 public:
  using options = listen_options;
  tcp_listener() = default;
  /// Registers `s` with the current loop. Throws std::system_error when the backend refuses.
  explicit tcp_listener(listening_socket s);
  /// Binds, listens and registers with the current loop. Throws std::system_error.
  static tcp_listener bind(const socket_address& at, options opts) {
    return tcp_listener(listening_socket::bind(at, opts));
  }
  static tcp_listener bind(const socket_address& at) { return bind(at, options{}); }

  /// A connected, non-blocking, TCP_NODELAY stream; or the accept error (EMFILE, ...), which
  /// the caller must back off from rather than retry at once. A stream the loop cannot take
  /// (the backend refuses the fd) is that error, its fd closed.
  task<result<tcp_stream, std::errc>> accept(socket_address* peer = nullptr);
  socket_address local() const;
  bool valid() const noexcept { return fd_.valid(); }
  /// Stops accepting: an accept waiting now, and any later one, fails with invalid_argument.
  void shutdown() noexcept;
  void close() noexcept { fd_.close(); }

 private:
  async_fd fd_;
};

void set_nodelay(int fd) noexcept;

}  // namespace barrage::net
