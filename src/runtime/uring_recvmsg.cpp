// The io_uring backend's stamped reads (io_kind::read_stamped): the kernel's receive time of
// the data read comes with recvmsg's control message, which the multishot receive into the
// pool does not carry. A socket whose first read asks for stamps is read through readiness
// and a recvmsg syscall per read, as the epoll backend reads every socket: a one-shot poll
// (which goes with the turn's io_uring_enter) when the socket has nothing, and no read tried
// after a short one until the poll says data came (the read that could only say EAGAIN).
// A socket whose receive already runs (it was read unstamped first) keeps it: its reads come
// from the pool and carry no stamp (*op.stamp = 0: the caller takes its own clock).
// Also flush(), for a loop that holds I/O (event_loop::options::hold_io): the turn's buffered
// sends go to the kernel before the loop sleeps, not with the poll after it.
#include <cerrno>
#include <utility>

#include "runtime/io_attempt.hpp"
#include "runtime/uring_backend.hpp"

namespace barrage {

bool uring_backend::start_read_stamped(io_handle& h, slot& s, io_op& op) noexcept {
  if (s.send_error != 0 && s.head == none) {  // a send failed: the next operation says so
    op.result = std::exchange(s.send_error, 0);
    *op.stamp = 0;
    return true;
  }
  if (s.use_recv && s.recv_started) {  // from the pool (a direct read when starved is stamped)
    *op.stamp = 0;
    return start_read(h, s, op);
  }
  s.use_recv = false;  // readiness and syscalls from now on (on_poll reads with attempt_io)
  if (h.may_read || h.hung_up) {
    if (detail::attempt_io(h.fd, op)) {
      if (op.result >= 0 && static_cast<std::size_t>(op.result) < op.len) h.may_read = false;
      return true;
    }
    h.may_read = false;
  }
  if (!s.poll_in) arm_poll(h.slot, false);
  return false;
}

void uring_backend::flush() noexcept {
  submit_send_queue();
  if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
}

}  // namespace barrage
