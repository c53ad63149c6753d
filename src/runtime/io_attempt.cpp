#include "runtime/io_attempt.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

namespace barrage::detail {

bool attempt_io(int fd, io_op& op) noexcept {
  long r = 0;
  switch (op.kind) {
    case io_kind::read:
      r = ::read(fd, op.buf, op.len);
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
