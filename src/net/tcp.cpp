#include "net/tcp.hpp"

#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/io.hpp"

namespace barrage::net {

namespace {

/// The socket's own address or its peer's (`get`: getsockname or getpeername).
socket_address address_of(int fd, int (*get)(int, sockaddr*, socklen_t*)) {
  socket_address a;
  *a.size_ptr() = sizeof(sockaddr_storage);
  get(fd, a.get(), a.size_ptr());
  return a;
}

}  // namespace

bool tcp_stream::enable_receive_stamps() noexcept {
  int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
  return ::setsockopt(fd_.fd(), SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0;
}

void set_nodelay(int fd) noexcept {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

task<long> tcp_stream::write_all(const void* buf, std::size_t len) {
  auto* p = static_cast<const char*>(buf);
  std::size_t done = 0;
  while (done < len) {
    long n = co_await fd_.write(p + done, len - done);
    if (n < 0) co_return n;
    done += static_cast<std::size_t>(n);
  }
  co_return static_cast<long>(done);
}

socket_address tcp_stream::peer() const { return address_of(fd_.fd(), ::getpeername); }

socket_address tcp_stream::local() const { return address_of(fd_.fd(), ::getsockname); }

task<result<tcp_stream, std::errc>> tcp_connect(socket_address to, connect_options opts) {
  int fd = ::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) co_return fail(std::errc(errno));
  if (opts.source) {
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Without this, bind() to port 0 reserves an ephemeral port for the address alone, unique
    // across all destinations, and every source address draws from the same ~28k ports. With it
    // the port is chosen at connect() for the whole 4-tuple: each source address gets its own
    // range. (Linux 4.2+; elsewhere the setsockopt fails harmlessly.)
    if (opts.source->port() == 0) ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (::bind(fd, opts.source->get(), opts.source->size()) < 0) {
      int e = errno;
      ::close(fd);
      co_return fail(std::errc(e));
    }
  }
  if (opts.nodelay) set_nodelay(fd);
  async_fd afd(fd);
  if (::connect(fd, to.get(), to.size()) < 0) {
    if (errno != EINPROGRESS) co_return fail(std::errc(errno));
    // The deadline on the wait itself, not with_timeout: no frames beside this one (a load
    // generator opens thousands of connections at once, and each holds them until it connects).
    const time_point now = event_loop::current().now();
    const time_point deadline = opts.timeout < time_point::max() - now ? now + opts.timeout : time_point::max();
    const long r = co_await afd.connected().until(deadline);
    if (r < 0) co_return fail(std::errc(-r));  // -ETIMEDOUT at the deadline: timed_out
  }
  co_return tcp_stream(std::move(afd));
}

namespace {

[[noreturn]] void throw_listen_error(int fd, const socket_address& at) {
  const int e = errno;
  ::close(fd);
  throw std::system_error(e, std::generic_category(), "cannot listen on " + at.to_string());
}

}  // namespace

listening_socket listening_socket::bind(const socket_address& at, listen_options opts) {
  using sharing = listen_options::port_sharing;
  const int fd = ::socket(at.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Set before bind(), SO_REUSEPORT lets the bind share a port whose sockets all have it;
  // set after bind() and before listen(), it lets later sockets join this one, which itself
  // was refused a port that any other socket holds.
  if (opts.reuse_port == sharing::join_group) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd, at.get(), at.size()) < 0) throw_listen_error(fd, at);
  if (opts.reuse_port == sharing::open_group) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::listen(fd, opts.backlog) < 0) throw_listen_error(fd, at);
  listening_socket s;
  s.fd_ = fd;
  return s;
}

listening_socket& listening_socket::operator=(listening_socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

void listening_socket::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

socket_address listening_socket::local() const { return address_of(fd_, ::getsockname); }

tcp_listener::tcp_listener(listening_socket s) : fd_(s.release()) {}

task<result<tcp_stream, std::errc>> tcp_listener::accept(socket_address* peer) {
  socket_address a;
  *a.size_ptr() = sizeof(sockaddr_storage);
  const long fd = co_await fd_.accept(a.get(), a.size_ptr());
  if (fd < 0) co_return fail(std::errc(-fd));
  if (peer) *peer = a;
  set_nodelay(static_cast<int>(fd));
  std::errc refused{};
  try {
    co_return tcp_stream(async_fd(static_cast<int>(fd)));  // async_fd closes fd when it throws
  } catch (const std::system_error& e) {
    refused = std::errc(e.code().value());
  }
  co_return fail(refused);
}

void tcp_listener::shutdown() noexcept {
  if (fd_.valid()) ::shutdown(fd_.fd(), SHUT_RD);
}

socket_address tcp_listener::local() const { return address_of(fd_.fd(), ::getsockname); }

}  // namespace barrage::net
