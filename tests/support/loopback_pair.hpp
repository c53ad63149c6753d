#pragma once
// Connected loopback TCP sockets and kernel receive stamps for runtime tests.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/net_tstamp.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <thread>
#include <utility>

namespace barrage::test {

/// CLOCK_REALTIME in ns since the epoch: the clock of the kernel's receive stamps.
inline std::int64_t realtime_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

/// A connected loopback TCP pair (blocking fds): {client, server}.
inline std::pair<int, int> tcp_pair() {
  const int l = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 1) != 0 ||
      ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("listen");
  const int c = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
  const int s = ::accept(l, nullptr, nullptr);
  ::close(l);
  return {c, s};
}

/// Asks for software receive stamps on `fd`. The kernel switches its receive timestamping on
/// for the machine a moment after the first socket asks (deferred work): data that comes before
/// then carries no stamp, so this gives it that moment.
inline bool stamp_receives(int fd) {
  int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
  const bool on = ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return on;
}

}  // namespace barrage::test
