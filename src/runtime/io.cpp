#include "runtime/io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace barrage {

async_fd::async_fd(int fd) : loop_(&event_loop::current()) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "fcntl(O_NONBLOCK)");
  }
  auto* h = new io_handle{fd};
  try {
    loop_->backend().attach(*h);
  } catch (...) {
    ::close(fd);
    delete h;
    throw;
  }
  h_ = h;
}

async_fd::async_fd(async_fd&& o) noexcept : h_(std::exchange(o.h_, nullptr)), loop_(o.loop_) {}

async_fd& async_fd::operator=(async_fd&& o) noexcept {
  if (this != &o) {
    close();
    h_ = std::exchange(o.h_, nullptr);
    loop_ = o.loop_;
  }
  return *this;
}

void async_fd::close() noexcept {
  if (!h_) return;
  loop_->backend().detach(*h_);
  ::close(h_->fd);
  delete h_;
  h_ = nullptr;
}

}  // namespace barrage
