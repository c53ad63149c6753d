#pragma once
// The operation-level interface between the loop and the kernel. Callers describe an
// operation (read, write, accept, connect, ...) in an io_op that lives in the awaiting
// frame; a backend either finishes it at once or finishes it later and hands it back to
// the loop. Two backends implement it (epoll_backend, uring_backend); nothing above this
// interface assumes readiness semantics, and backend_choice.hpp picks one per loop.
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <coroutine>
#include <cstddef>
#include <cstdint>

#include "base/clock.hpp"

namespace barrage {

class stop_scope;

enum class io_kind : std::uint8_t {
  read,      // buf, len -> bytes read (0 = end of stream)
  write,     // buf, len -> bytes written (may be short)
  writev,    // iov, iovcnt -> bytes written (may be short)
  accept,    // addr, addrlen -> new fd (non-blocking, close-on-exec)
  connect,   // completes a connect() that returned EINPROGRESS -> 0
  readable,  // waits until the fd is readable -> 0
  writable,  // waits until the fd is writable -> 0
  // buf, len -> bytes read, as `read`; *stamp gets the kernel's receive time of the last
  // segment read (CLOCK_REALTIME, ns; 0: none) on a socket with SO_TIMESTAMPING's software
  // receive stamps on (net::enable_receive_stamps).
  read_stamped,
};

/// One operation in flight. result: >= 0 on success, -errno on failure.
struct io_op {
  io_kind kind{};
  void* buf = nullptr;
  std::size_t len = 0;
  const iovec* iov = nullptr;
  int iovcnt = 0;
  sockaddr* addr = nullptr;
  socklen_t* addrlen = nullptr;
  std::int64_t* stamp = nullptr;  // read_stamped: where the receive time goes
  long result = 0;
  std::coroutine_handle<> waiter;
  stop_scope* scope = nullptr;
};

/// One registered fd; registered once, for its whole life. At most one reading and one
/// writing op may be pending at a time (a read and a write may overlap).
struct io_handle {
  int fd = -1;
  io_op* reader = nullptr;
  io_op* writer = nullptr;
  // The backend's knowledge of the read side, to skip syscalls that can only say EAGAIN.
  bool may_read = true;   // data may be waiting: no EAGAIN or short read since the last edge
  bool hung_up = false;   // the peer closed or errored: reads never wait again
  std::uint32_t slot = 0;  // the backend's own index for this fd (io_uring: its slot table)
};

/// Where a backend hands finished operations and wake-ups.
class io_sink {
 public:
  virtual void io_done(io_op& op) noexcept = 0;
  virtual void woken() noexcept = 0;

 protected:
  ~io_sink() = default;
};

class io_backend {
 public:
  virtual ~io_backend() = default;
  virtual const char* name() const noexcept = 0;
  /// Registers fd for the handle's whole life. Throws std::system_error on failure.
  virtual void attach(io_handle& h) = 0;
  virtual void detach(io_handle& h) noexcept = 0;
  /// Starts op on h. True when it finished at once (op.result set); otherwise the op is
  /// handed to the sink when it finishes.
  virtual bool start(io_handle& h, io_op& op) noexcept = 0;
  /// Abandons a started op: it is never handed to the sink.
  virtual void cancel(io_handle& h, io_op& op) noexcept = 0;
  /// Writes without ever waiting: the bytes taken (possibly fewer than len), or -errno
  /// (-EAGAIN: none now). Bytes taken go out after every byte an earlier write took.
  virtual long try_write(io_handle& h, const void* buf, std::size_t len) noexcept {
    const ssize_t n = ::send(h.fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n >= 0 ? static_cast<long>(n) : -static_cast<long>(errno);
  }
  /// shutdown(2) of a socket, `how` SHUT_WR or SHUT_RDWR. SHUT_WR: the FIN goes out after
  /// every byte a write took. SHUT_RDWR is an abort: it wakes waiting reads and writes.
  virtual void shutdown(io_handle& h, int how) noexcept { ::shutdown(h.fd, how); }
  /// Hands what the backend queued for the kernel to it now, without waiting and without
  /// handing anything to the sink: for a loop about to sleep outside poll() (hold_io), so
  /// that writes that finished at once go out before the sleep. No-op where they already did.
  virtual void flush() noexcept {}
  /// Waits up to `timeout` (negative: without limit) and hands what finished to the sink.
  virtual void poll(duration timeout, io_sink& sink) = 0;
  /// Thread-safe: makes a concurrent or the next poll() return and call sink.woken().
  virtual void wake() noexcept = 0;
};

}  // namespace barrage
