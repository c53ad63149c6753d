// The io_uring backend's write side (uring_backend.hpp): small writes are copied into a
// backend-owned send buffer and sent with the turn's io_uring_enter ("write-behind").
//
// Per fd at most one send is in the kernel; later writes append to the same buffer (the
// kernel reads only the bytes it was given, never the ones appended behind them) and go in
// the next send. A write that does not fit waits until the buffer is sent; a write with
// nothing buffered that is too big for a buffer (or finds the pool empty) takes the direct
// syscall, which cannot overtake anything. The kernel reads only backend memory, never an
// io_op or its buffer: a frame destroyed after its write returned leaves nothing behind.
#include <sys/socket.h>

#include <cstring>
#include <utility>

#include "runtime/io_attempt.hpp"
#include "runtime/uring_backend.hpp"

namespace barrage {

bool uring_backend::write_behind(std::uint32_t i, io_op& op) noexcept {
  slot& s = slots_[i];
  std::size_t total = op.len;
  if (op.kind == io_kind::writev) {
    total = 0;
    for (int k = 0; k < op.iovcnt; ++k) total += op.iov[k].iov_len;
  }
  if (total == 0 || total > send_buffer_size) return false;
  if (s.send_buf == none) {
    if (!send_buffers_) {  // virtual memory only: pages are touched as buffers are used
      send_buffers_.reset(new char[std::size_t{send_buffer_count} * send_buffer_size]);
      send_free_.reserve(send_buffer_count);
      for (std::uint32_t b = send_buffer_count; b-- > 0;) send_free_.push_back(static_cast<std::int32_t>(b));
    }
    if (send_free_.empty()) return false;
    s.send_buf = send_free_.back();
    send_free_.pop_back();
    s.send_off = s.send_len = 0;
  } else if (total > send_buffer_size - s.send_len) {
    return false;
  }
  char* dst = send_buffers_.get() + std::size_t(s.send_buf) * send_buffer_size + s.send_len;
  if (op.kind == io_kind::writev) {
    for (int k = 0; k < op.iovcnt; ++k) {
      if (op.iov[k].iov_len == 0) continue;
      std::memcpy(dst, op.iov[k].iov_base, op.iov[k].iov_len);
      dst += op.iov[k].iov_len;
    }
  } else {
    std::memcpy(dst, op.buf, total);
  }
  s.send_len += static_cast<std::uint32_t>(total);
  if (!s.send_queued && s.send_flight == 0) {
    s.send_queued = true;
    send_queue_.push_back(i);
  }
  op.result = static_cast<long>(total);
  return true;
}

bool uring_backend::start_write(io_handle& h, slot& s, io_op& op) noexcept {
  if (s.send_error != 0) {  // a send failed: the next operation says so
    op.result = std::exchange(s.send_error, 0);
    return true;
  }
  if (write_behind(h.slot, op)) return true;
  if (s.send_buf != none) return false;  // behind the buffered bytes: send_drained() retries
  if (detail::attempt_io(h.fd, op)) return true;
  if (!s.poll_out) arm_poll(h.slot, true);
  return false;
}

long uring_backend::try_write(io_handle& h, const void* buf, std::size_t len) noexcept {
  slot& s = slots_[h.slot];
  if (s.send_error != 0) return std::exchange(s.send_error, 0);
  io_op op;
  op.kind = io_kind::write;
  op.buf = const_cast<void*>(buf);
  op.len = len;
  if (write_behind(h.slot, op)) return op.result;
  if (s.send_buf != none) return -EAGAIN;
  return io_backend::try_write(h, buf, len);
}

void uring_backend::shutdown(io_handle& h, int how) noexcept {
  slot& s = slots_[h.slot];
  if (how == SHUT_WR && s.send_buf != none) {  // the FIN goes behind the buffered bytes
    s.shut_after_send = true;
    return;
  }
  ::shutdown(h.fd, how);  // SHUT_RDWR: an abort; a send in flight fails, and says so
}

void uring_backend::submit_send(std::uint32_t i) noexcept {
  slot& s = slots_[i];
  char* data = send_buffers_.get() + std::size_t(s.send_buf) * send_buffer_size + s.send_off;
  const std::uint32_t n = s.send_len - s.send_off;
  io_uring_sqe* sqe = next_sqe();
  // WAITALL: the kernel itself sends the rest of a short send (it waits for room), so a
  // send comes back short only with an error; the rest then goes again from here.
  if (s.send_as_write) io_uring_prep_write(sqe, s.h->fd, data, n, static_cast<__u64>(-1));
  else io_uring_prep_send(sqe, s.h->fd, data, n, MSG_NOSIGNAL | MSG_WAITALL);
  io_uring_sqe_set_data64(sqe, user_data(i, s.gen, tag_send));
  s.send_flight = n;
  ++s.inflight;
  ++sends_submitted_;
}

void uring_backend::drop_send(slot& s) noexcept {
  if (s.send_buf == none) return;
  send_free_.push_back(s.send_buf);
  s.send_buf = none;
  s.send_off = s.send_len = 0;
}

void uring_backend::on_send(std::uint32_t i, int res, io_sink& sink) noexcept {
  slot& s = slots_[i];
  --s.inflight;
  ++sends_completed_;
  const std::uint32_t flight = std::exchange(s.send_flight, 0);
  if (!s.h) {  // closed: these were its last bytes
    drop_send(s);
    if (s.inflight == 0) release(i);
    return;
  }
  if (res == -ENOTSOCK && !s.send_as_write) {  // a pipe: the same bytes as a write
    s.send_as_write = true;
  } else if (res < 0 || (res == 0 && flight > 0)) {  // the bytes are lost: the next op says so
    s.send_error = res < 0 ? res : -EPIPE;
    drop_send(s);
  } else {
    if (static_cast<std::uint32_t>(res) < flight) ++sends_short_;
    s.send_off += static_cast<std::uint32_t>(res);
    if (s.send_off == s.send_len) {
      drop_send(s);
    } else {  // nothing is in flight: what is left moves to the front
      char* b = send_buffers_.get() + std::size_t(s.send_buf) * send_buffer_size;
      std::memmove(b, b + s.send_off, s.send_len - s.send_off);
      s.send_len -= s.send_off;
      s.send_off = 0;
    }
  }
  if (s.send_buf != none) {  // the rest goes with the next submission
    s.send_queued = true;
    send_queue_.push_back(i);
    return;
  }
  send_drained(i, sink);
}

void uring_backend::send_drained(std::uint32_t i, io_sink& sink) noexcept {
  slot& s = slots_[i];
  io_handle& h = *s.h;
  if (s.shut_after_send) {
    s.shut_after_send = false;
    ::shutdown(h.fd, SHUT_WR);
  }
  if (io_op* w = h.writer; w && (w->kind == io_kind::write || w->kind == io_kind::writev) && !s.poll_out) {
    if (start_write(h, s, *w)) {  // it waited for the buffer: now it fits, or goes direct
      h.writer = nullptr;
      sink.io_done(*w);
    }
  }
  if (s.send_error == 0 || !h.reader) return;
  io_op& r = *h.reader;
  if (r.kind == io_kind::readable) r.result = 0;
  else if ((r.kind == io_kind::read || r.kind == io_kind::read_stamped) && s.head == none)
    r.result = std::exchange(s.send_error, 0);
  else return;
  h.reader = nullptr;
  sink.io_done(r);
}

void uring_backend::on_send_linger(std::uint32_t i) noexcept {
  slot& s = slots_[i];
  if (s.h || s.send_flight == 0) return;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(sqe, user_data(i, s.gen, tag_send), 0);
  io_uring_sqe_set_data64(sqe, ignored);
}

}  // namespace barrage
