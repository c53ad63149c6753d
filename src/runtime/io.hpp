#pragma once
// I/O on file descriptors, as awaitables that live in the awaiting frame: no allocation per
// operation. Each tries its syscall first and waits only when it would block (the backend
// decides how). Results are values: >= 0 on success, -errno on failure; a cancelled task
// gets operation_cancelled at the suspension point.
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "runtime/event_loop.hpp"
#include "runtime/lazy_timer.hpp"

namespace barrage {

class io_awaiter {
 public:
  io_awaiter(io_handle& h, io_op op) noexcept : h_(&h), op_(op) {}
  /// Only before it is awaited (it is then not linked anywhere).
  io_awaiter(io_awaiter&& o) noexcept : h_(o.h_), op_(o.op_), deadline_(o.deadline_), lazy_(o.lazy_) {}
  io_awaiter& operator=(io_awaiter&&) = delete;
  ~io_awaiter() {
    if (started_ && !finished_) loop_->backend().cancel(*h_, op_);
    stop_timer();
  }

  /// Gives up at `deadline`: the operation is abandoned and the result is -ETIMEDOUT.
  /// Costs one timer insert and cancel, and only when the operation has to wait.
  io_awaiter until(time_point deadline) && noexcept {
    deadline_ = deadline;
    return std::move(*this);
  }
  /// The same with `t` as the timer (lazy_timer.hpp): for a series of waits with deadlines
  /// that move forward, no timer-heap operation per wait. `t` outlives the wait.
  io_awaiter until(lazy_timer& t, time_point deadline) && noexcept {
    deadline_ = deadline;
    lazy_ = &t;
    return std::move(*this);
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!wait_.enter(detail::scope_of(h), &abort, this)) return false;
    loop_ = &event_loop::current();
    op_.waiter = h;
    op_.scope = wait_.scope;
    started_ = true;
    if (loop_->backend().start(*h_, op_)) {
      finished_ = true;
      return false;
    }
    if (deadline_ != time_point::max()) {
      timed_ = true;
      if (lazy_) {
        lazy_->start(*loop_, deadline_, &expire_lazy, this);
      } else {
        timer_.self = this;
        timer_.node.fire = &expire;
        loop_->add_timer(timer_.node, deadline_);
      }
    }
    return true;
  }
  long await_resume() {
    finished_ = true;
    stop_timer();
    wait_.leave();
    return op_.result;
  }

 private:
  static void abort(void* p) noexcept {
    auto* self = static_cast<io_awaiter*>(p);
    self->loop_->backend().cancel(*self->h_, self->op_);
    self->stop_timer();
    self->finished_ = true;
    self->wait_.cancelled = true;
    self->loop_->schedule(self->op_.waiter, self->wait_.scope);
  }
  /// Only what was armed: a wait that never armed a timer reads no timer node.
  void stop_timer() noexcept {
    if (!timed_) return;
    timed_ = false;
    if (lazy_) {
      lazy_->stop(this);
    } else if (timer_.node.queued()) {
      loop_->cancel_timer(timer_.node);
    }
  }
  static void expire(timer_node* n) noexcept { time_out(reinterpret_cast<deadline_timer*>(n)->self); }
  static void expire_lazy(void* p) noexcept { time_out(static_cast<io_awaiter*>(p)); }
  static void time_out(io_awaiter* self) noexcept {
    self->timed_ = false;
    self->loop_->backend().cancel(*self->h_, self->op_);
    self->finished_ = true;
    self->op_.result = -ETIMEDOUT;
    if (self->wait_.scope) self->wait_.scope->disarm();
    self->loop_->schedule(self->op_.waiter, self->wait_.scope);
  }
  struct deadline_timer {
    timer_node node;  // first member of a standard-layout struct: expire() casts back
    io_awaiter* self = nullptr;
  };
  static_assert(std::is_standard_layout_v<deadline_timer>, "expire() casts the timer node back");

  io_handle* h_;
  io_op op_;
  time_point deadline_ = time_point::max();
  lazy_timer* lazy_ = nullptr;
  deadline_timer timer_;
  event_loop* loop_ = nullptr;
  cancellable_wait wait_;
  bool started_ = false, finished_ = false, timed_ = false;
};

/// An fd registered with the current thread's loop for its whole life; closed on destruction.
/// Made non-blocking on adoption.
class async_fd {
 public:
  async_fd() = default;
  /// Takes ownership of fd. Throws std::system_error when the backend refuses it.
  explicit async_fd(int fd);
  async_fd(async_fd&& o) noexcept;
  async_fd& operator=(async_fd&& o) noexcept;
  ~async_fd() { close(); }

  int fd() const noexcept { return h_ ? h_->fd : -1; }
  bool valid() const noexcept { return h_ != nullptr; }
  void close() noexcept;
  /// The backend's handle for this fd, for operations built by hand (an io_awaiter over an
  /// io_op); the async_fd keeps owning it, and closing the async_fd ends it.
  io_handle& handle() noexcept { return *h_; }

  io_awaiter read(void* buf, std::size_t len) noexcept { return op(io_kind::read, buf, len); }
  /// As read; *stamp (which must outlive the await) gets the kernel's receive time of the
  /// last segment read, CLOCK_REALTIME in ns, or 0 (see io_kind::read_stamped).
  io_awaiter read_stamped(void* buf, std::size_t len, std::int64_t* stamp) noexcept {
    io_op o;
    o.kind = io_kind::read_stamped;
    o.buf = buf;
    o.len = len;
    o.stamp = stamp;
    return {*h_, o};
  }
  io_awaiter write(const void* buf, std::size_t len) noexcept { return op(io_kind::write, const_cast<void*>(buf), len); }
  io_awaiter writev(const iovec* iov, int n) noexcept {
    io_op o;
    o.kind = io_kind::writev;
    o.iov = iov;
    o.iovcnt = n;
    return {*h_, o};
  }
  io_awaiter accept(sockaddr* addr, socklen_t* len) noexcept {
    io_op o;
    o.kind = io_kind::accept;
    o.addr = addr;
    o.addrlen = len;
    return {*h_, o};
  }
  /// Without waiting: bytes taken, or -errno (-EAGAIN: none now); see io_backend::try_write.
  long try_write(const void* buf, std::size_t len) noexcept {
    return h_ ? loop_->backend().try_write(*h_, buf, len) : -EBADF;
  }
  /// SHUT_WR (after the bytes written so far) or SHUT_RDWR; see io_backend::shutdown.
  void shutdown(int how) noexcept {
    if (h_) loop_->backend().shutdown(*h_, how);
  }
  io_awaiter connected() noexcept { return op(io_kind::connect, nullptr, 0); }
  io_awaiter readable() noexcept { return op(io_kind::readable, nullptr, 0); }
  io_awaiter writable() noexcept { return op(io_kind::writable, nullptr, 0); }

 private:
  io_awaiter op(io_kind k, void* buf, std::size_t len) noexcept {
    io_op o;
    o.kind = k;
    o.buf = buf;
    o.len = len;
    return {*h_, o};
  }
  // The handle has a stable address: the backend keeps pointers to it.
  io_handle* h_ = nullptr;
  event_loop* loop_ = nullptr;
};

}  // namespace barrage
