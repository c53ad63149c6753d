#pragma once
// intrusive_fifo: a doubly-linked FIFO threaded through links that live in the elements
// themselves (an element may sit in several lists through different link members). O(1)
// push, removal from anywhere, and front; nothing allocated.
namespace barrage {

template <class T>
struct fifo_links {
  T* prev = nullptr;
  T* next = nullptr;
  bool linked = false;
};

template <class T, fifo_links<T> T::*Links>
class intrusive_fifo {
 public:
  bool empty() const noexcept { return !head_; }
  T* front() const noexcept { return head_; }
  static T* next(const T& e) noexcept { return (e.*Links).next; }
  static bool contains(const T& e) noexcept { return (e.*Links).linked; }

  void push_back(T& e) noexcept {
    fifo_links<T>& l = e.*Links;
    l.prev = tail_;
    l.next = nullptr;
    (tail_ ? (tail_->*Links).next : head_) = &e;
    tail_ = &e;
    l.linked = true;
  }
  /// A no-op when e is not in the list.
  void remove(T& e) noexcept {
    fifo_links<T>& l = e.*Links;
    if (!l.linked) return;
    (l.prev ? (l.prev->*Links).next : head_) = l.next;
    (l.next ? (l.next->*Links).prev : tail_) = l.prev;
    l.prev = l.next = nullptr;
    l.linked = false;
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
};

}  // namespace barrage
