#pragma once
// async_event: tasks wait until it is set; set() wakes them all, in arrival order.
#include "runtime/waiter_list.hpp"

namespace barrage {

class async_event {
 public:
  async_event() = default;
  async_event(const async_event&) = delete;
  async_event& operator=(const async_event&) = delete;

  detail::list_awaiter<async_event> wait() noexcept { return {this, &waiters_}; }
  void set() {
    set_ = true;
    while (waiters_.wake_one()) {
    }
  }
  void clear() noexcept { set_ = false; }
  bool is_set() const noexcept { return set_; }

  bool ready_now() const noexcept { return set_; }
  void on_abandon() noexcept {}

 private:
  bool set_ = false;
  detail::waiter_list waiters_;
};

}  // namespace barrage
