// The io_uring backend's stamped reads (io_kind::read_stamped): the kernel's receive time of
// the data read comes with recvmsg's control message. A socket whose first read asks for
// stamps gets a multishot IORING_OP_RECVMSG into the same provided-buffer pool instead of
// the multishot recv: each buffer holds struct io_uring_recvmsg_out, the control (room for
// one SCM_TIMESTAMPING) and the payload. Its payload goes the way the recv's data goes
// (held per slot, copied out by reads), each buffer with its stamp; a read reports the stamp
// of the last buffer it took data from. Starvation, pausing, errors, EOF (a buffer with no
// payload), cancel and close are the recv's. A direct read (the first, or when the pool is
// dry) is a recvmsg syscall with its own control buffer. A socket that refuses the receive
// (not a socket, an old kernel) is read through readiness and a recvmsg per read.
// A socket whose plain receive already runs (it was read unstamped first) keeps it: its
// reads come from the pool and carry no stamp (*op.stamp = 0: the caller takes its own clock).
// Also flush(), for a loop that holds I/O (event_loop::options::hold_io): the turn's buffered
// sends go to the kernel before the loop sleeps, not with the poll after it.
#include <sys/socket.h>

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

#include <cerrno>
#include <cstring>
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
  if (s.use_recv) {  // from the pool (a direct read, first or when starved, is a recvmsg)
    if (!s.recv_started) s.stamped = true;  // the receive, once armed, carries the stamps
    *op.stamp = 0;
    return start_read(h, s, op);
  }
  // The fd refused the receive: readiness and syscalls (on_poll reads with attempt_io).
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

void uring_backend::prep_recvmsg(io_uring_sqe* sqe, int fd) noexcept {
  recvmsg_template_.msg_namelen = 0;
  recvmsg_template_.msg_controllen = CMSG_SPACE(sizeof(scm_timestamping));
  io_uring_prep_recvmsg_multishot(sqe, fd, &recvmsg_template_, 0);
}

int uring_backend::unpack_recvmsg(std::int32_t bid, int res, buffer_meta& m) noexcept {
  char* buf = buffers_.get() + std::size_t(bid) * buffer_size;
  io_uring_recvmsg_out* out = io_uring_recvmsg_validate(buf, res, &recvmsg_template_);
  if (!out) return -EPROTO;  // shorter than its own header: never seen, kept as an error
  for (cmsghdr* c = io_uring_recvmsg_cmsg_firsthdr(out, &recvmsg_template_); c;
       c = io_uring_recvmsg_cmsg_nexthdr(out, &recvmsg_template_, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
      scm_timestamping ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      m.stamp = std::int64_t{ts.ts[0].tv_sec} * 1'000'000'000 + ts.ts[0].tv_nsec;
    }
  }
  const auto* payload = static_cast<const char*>(io_uring_recvmsg_payload(out, &recvmsg_template_));
  m.off = static_cast<std::uint32_t>(payload - buf);
  return static_cast<int>(io_uring_recvmsg_payload_length(out, res, &recvmsg_template_));
}

void uring_backend::flush() noexcept {
  submit_send_queue();
  if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
}

}  // namespace barrage
