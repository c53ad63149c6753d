#include "runtime/io_attempt.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace barrage::detail {
namespace {

/// recvmsg with a control buffer: the payload into op.buf, and into *op.stamp the software
/// receive stamp the kernel attached (SCM_TIMESTAMPING's first timespec), 0 when none came.
long read_with_stamp(int fd, io_op& op) noexcept {
  iovec iov{op.buf, op.len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(scm_timestamping))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t r = ::recvmsg(fd, &msg, 0);
  if (r < 0) return r;
  std::int64_t at = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
      scm_timestamping ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      at = std::int64_t{ts.ts[0].tv_sec} * 1'000'000'000 + ts.ts[0].tv_nsec;
    }
  }
  *op.stamp = at;
  return r;
}

}  // namespace

bool attempt_io(int fd, io_op& op) noexcept {
  long r = 0;
  switch (op.kind) {
    case io_kind::read:
      r = ::read(fd, op.buf, op.len);
      break;
    case io_kind::read_stamped:
      r = read_with_stamp(fd, op);
      break;
    case io_kind::write:
      r = ::send(fd, op.buf, op.len, MSG_NOSIGNAL);
      if (r < 0 && errno == ENOTSOCK) r = ::write(fd, op.buf, op.len);
      break;
    case io_kind::writev: {
      msghdr msg{};
      msg.msg_iov = const_cast<iovec*>(op.iov);
      msg.msg_iovlen = static_cast<std::size_t>(op.iovcnt);
      r = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
      if (r < 0 && errno == ENOTSOCK) r = ::writev(fd, op.iov, op.iovcnt);
      break;
    }
    case io_kind::accept:
      r = ::accept4(fd, op.addr, op.addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
      break;
    case io_kind::connect: {
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      op.result = err ? -err : 0;
      return true;
    }
    case io_kind::readable:
    case io_kind::writable:
      op.result = 0;
      return true;
  }
  if (r >= 0) {
    op.result = r;
    return true;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
  if (errno == EINTR) return attempt_io(fd, op);
  op.result = -errno;
  return true;
}

}  // namespace barrage::detail
