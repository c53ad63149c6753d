#pragma once
// async_semaphore: bounded concurrency. Waiters are served strictly in arrival order: a
// released permit is handed to the oldest waiter, never to a task that arrives later.
#include <cstddef>

#include "runtime/waiter_list.hpp"

namespace barrage {

class async_semaphore {
 public:
  explicit async_semaphore(std::size_t permits) noexcept : permits_(permits) {}
  async_semaphore(const async_semaphore&) = delete;
  async_semaphore& operator=(const async_semaphore&) = delete;

  /// co_await sem.acquire(): holds a permit on return.
  detail::list_awaiter<async_semaphore> acquire() noexcept { return {this, &waiters_}; }
  bool try_acquire() noexcept {
    if (permits_ == 0 || !waiters_.empty()) return false;
    --permits_;
    return true;
  }
  void release() {
    if (!waiters_.wake_one()) ++permits_;  // else the permit went to the oldest waiter
  }
  std::size_t available() const noexcept { return permits_; }

  /// Acquires now, releases when the guard goes: `auto g = co_await sem.scoped();`
  class guard {
   public:
    explicit guard(async_semaphore* s) noexcept : s_(s) {}
    guard(guard&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    guard& operator=(guard&&) = delete;
    ~guard() {
      if (s_) s_->release();
    }

   private:
    async_semaphore* s_;
  };
  task<guard> scoped() {
    co_await acquire();
    co_return guard{this};
  }

  // The list_awaiter protocol.
  bool ready_now() noexcept { return try_acquire(); }
  void on_abandon() noexcept {}

 private:
  std::size_t permits_;
  detail::waiter_list waiters_;
};

}  // namespace barrage
