#pragma once
// async_queue<T>: a bounded FIFO between tasks. push() waits while it is full (back-pressure
// on the producer), pop() waits while it is empty.
#include <cstddef>
#include <deque>
#include <optional>

#include "runtime/waiter_list.hpp"

namespace barrage {

template <class T>
class async_queue {
 public:
  explicit async_queue(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}
  async_queue(const async_queue&) = delete;
  async_queue& operator=(const async_queue&) = delete;

  task<void> push(T v) {
    while (items_.size() >= capacity_) co_await detail::list_awaiter<gate>{&gate_, &not_full_};
    items_.push_back(std::move(v));
    not_empty_.wake_one();
  }
  task<T> pop() {
    while (items_.empty()) co_await detail::list_awaiter<gate>{&gate_, &not_empty_};
    T v = std::move(items_.front());
    items_.pop_front();
    not_full_.wake_one();
    co_return v;
  }
  bool try_push(T v) {
    if (items_.size() >= capacity_) return false;
    items_.push_back(std::move(v));
    not_empty_.wake_one();
    return true;
  }
  std::optional<T> try_pop() {
    if (items_.empty()) return std::nullopt;
    std::optional<T> v(std::move(items_.front()));
    items_.pop_front();
    not_full_.wake_one();
    return v;
  }
  std::size_t size() const noexcept { return items_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  // The loops above recheck the condition after every wake-up.
  struct gate {
    bool ready_now() const noexcept { return false; }
    void on_abandon() noexcept {}
  };
  std::size_t capacity_;
  std::deque<T> items_;
  gate gate_;
  detail::waiter_list not_full_, not_empty_;
};

}  // namespace barrage
