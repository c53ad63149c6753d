#pragma once
// The epoll backend: each fd registered once, edge-triggered, for reading and writing.
// An operation tries its syscall at once and waits only on EAGAIN; on the edge it is
// retried by the backend and handed to the loop when it finishes.
#include <array>
#include <atomic>

#include "runtime/io_backend.hpp"

struct epoll_event;

namespace barrage {

class epoll_backend final : public io_backend {
 public:
  epoll_backend();
  ~epoll_backend() override;
  const char* name() const noexcept override { return "epoll"; }
  void attach(io_handle& h) override;
  void detach(io_handle& h) noexcept override;
  bool start(io_handle& h, io_op& op) noexcept override;
  void cancel(io_handle& h, io_op& op) noexcept override;
  void poll(duration timeout, io_sink& sink) override;
  void wake() noexcept override;

 private:
  static constexpr int max_events = 256;
  int epfd_ = -1;
  io_handle wake_;  // eventfd
  std::atomic<bool> wake_pending_{false};
  bool have_pwait2_ = true;
};

}  // namespace barrage
