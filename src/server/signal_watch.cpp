#include "server/signal_watch.hpp"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "server/server.hpp"

namespace barrage::server {

signal_watch::signal_watch(std::initializer_list<int> signals) {
  ::sigemptyset(&set_);
  for (int s : signals) ::sigaddset(&set_, s);
  if (int e = ::pthread_sigmask(SIG_BLOCK, &set_, &previous_); e != 0)
    throw std::system_error(e, std::generic_category(), "pthread_sigmask");
  fd_ = ::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) {
    const int e = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    throw std::system_error(e, std::generic_category(), "signalfd");
  }
}

signal_watch::~signal_watch() {
  ::close(fd_);
  ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

task<int> signal_watch::next() {
  // A duplicate registered with this loop for this wait only: the watch may outlive loops.
  const int fd = ::dup(fd_);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup(signalfd)");
  async_fd watched(fd);
  signalfd_siginfo info{};
  for (;;) {
    const long n = co_await watched.read(&info, sizeof info);
    if (n == static_cast<long>(sizeof info)) co_return static_cast<int>(info.ssi_signo);
    if (n < 0 && n != -EINTR) throw std::system_error(static_cast<int>(-n), std::generic_category(), "signalfd read");
  }
}

task<void> stop_on_signals(server& s, signal_watch& signals) {
  co_await signals.next();
  s.stop();
  co_await signals.next();
  s.stop_now();
}

}  // namespace barrage::server
