#include "runtime/epoll_backend.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <system_error>

#include "runtime/io_attempt.hpp"

namespace barrage {
namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

bool is_reading(io_kind k) noexcept {
  return k == io_kind::read || k == io_kind::read_stamped || k == io_kind::accept || k == io_kind::readable;
}

using detail::attempt_io;

}  // namespace

epoll_backend::epoll_backend() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw_errno("epoll_create1");
  wake_.fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_.fd < 0) {
    ::close(epfd_);
    throw_errno("eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = &wake_;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_.fd, &ev) < 0) throw_errno("epoll_ctl(eventfd)");
}

epoll_backend::~epoll_backend() {
  ::close(wake_.fd);
  ::close(epfd_);
}

void epoll_backend::attach(io_handle& h) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &h;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, h.fd, &ev) < 0) throw_errno("epoll_ctl(ADD)");
}

void epoll_backend::detach(io_handle& h) noexcept {
  ::epoll_ctl(epfd_, EPOLL_CTL_DEL, h.fd, nullptr);
  h.reader = h.writer = nullptr;
}

namespace {

/// A read is tried only while data may be waiting: EAGAIN or a short read (the socket was
/// drained) clears may_read; every edge sets it again, as does a hang-up for good. That
/// saves the read that could only say EAGAIN, e.g. the one right after a request is sent.
/// Sound because edges are only consumed by poll(), which records them (see below).
bool attempt_read(io_handle& h, io_op& op) noexcept {
  if (!h.may_read && !h.hung_up) return false;
  if (!attempt_io(h.fd, op)) {
    h.may_read = false;
    return false;
  }
  if ((op.kind == io_kind::read || op.kind == io_kind::read_stamped) && op.result > 0 &&
      static_cast<std::size_t>(op.result) < op.len)
    h.may_read = false;
  return true;
}

}  // namespace

bool epoll_backend::start(io_handle& h, io_op& op) noexcept {
  // connect, readable and writable wait for the next edge; the others try at once.
  switch (op.kind) {
    case io_kind::connect:
    case io_kind::readable:
    case io_kind::writable:
      break;
    case io_kind::read:
    case io_kind::read_stamped:
    case io_kind::accept:
      if (attempt_read(h, op)) return true;
      break;
    default:
      if (attempt_io(h.fd, op)) return true;
  }
  (is_reading(op.kind) ? h.reader : h.writer) = &op;
  return false;
}

void epoll_backend::cancel(io_handle& h, io_op& op) noexcept {
  if (h.reader == &op) h.reader = nullptr;
  if (h.writer == &op) h.writer = nullptr;
}

void epoll_backend::poll(duration timeout, io_sink& sink) {
  std::array<epoll_event, max_events> events;
  int n;
  if (timeout < duration::zero()) {
    n = ::epoll_wait(epfd_, events.data(), max_events, -1);
  } else if (have_pwait2_) {
    // Nanosecond timeouts: sub-millisecond timers and pacing need them.
    timespec ts{static_cast<time_t>(to_ns(timeout) / 1'000'000'000), static_cast<long>(to_ns(timeout) % 1'000'000'000)};
    n = static_cast<int>(::syscall(SYS_epoll_pwait2, epfd_, events.data(), max_events, &ts, nullptr, 0));
    if (n < 0 && errno == ENOSYS) {
      have_pwait2_ = false;
      return poll(timeout, sink);
    }
  } else {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
    n = ::epoll_wait(epfd_, events.data(), max_events, static_cast<int>(std::min<long long>(ms, INT_MAX)));
  }
  if (n < 0) {
    if (errno == EINTR) return;
    throw_errno("epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    auto* h = static_cast<io_handle*>(events[i].data.ptr);
    const std::uint32_t ev = events[i].events;
    if (h == &wake_) {
      eventfd_t v;
      ::eventfd_read(wake_.fd, &v);
      wake_pending_.store(false, std::memory_order_release);
      sink.woken();
      continue;
    }
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
      h->may_read = true;  // recorded even with no reader waiting: the edge is gone after this
      if (ev & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) h->hung_up = true;
      if (h->reader) {
        io_op& op = *h->reader;
        bool done = op.kind == io_kind::readable ? (op.result = 0, true) : attempt_read(*h, op);
        if (done) {
          h->reader = nullptr;
          sink.io_done(op);
        }
      }
    }
    if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && h->writer && attempt_io(h->fd, *h->writer)) {
      io_op* op = h->writer;
      h->writer = nullptr;
      sink.io_done(*op);
    }
  }
}

void epoll_backend::wake() noexcept {
  // One eventfd write per batch of wake-ups: the flag is cleared when the loop drains it.
  if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) ::eventfd_write(wake_.fd, 1);
}

}  // namespace barrage
