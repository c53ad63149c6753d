#include "runtime/timer_queue.hpp"

namespace barrage {

void timer_queue::insert(timer_node& n) {
  n.seq = next_seq_++;
  heap_.push_back(&n);
  n.slot = static_cast<std::uint32_t>(heap_.size() - 1);
  sift_up(n.slot);
}

void timer_queue::cancel(timer_node& n) noexcept {
  if (n.queued()) remove_at(n.slot);
}

timer_node* timer_queue::pop_due(time_point now) noexcept {
  if (heap_.empty() || heap_.front()->deadline > now) return nullptr;
  timer_node* n = heap_.front();
  remove_at(0);
  return n;
}

void timer_queue::remove_at(std::size_t i) noexcept {
  timer_node* gone = heap_[i];
  timer_node* last = heap_.back();
  heap_.pop_back();
  gone->slot = timer_node::npos;
  if (i == heap_.size()) return;
  place(i, last);
  if (i > 0 && before(last, heap_[(i - 1) / 2])) sift_up(i);
  else sift_down(i);
}

void timer_queue::sift_up(std::size_t i) noexcept {
  timer_node* n = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!before(n, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, n);
}

void timer_queue::sift_down(std::size_t i) noexcept {
  timer_node* n = heap_[i];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], n)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, n);
}

}  // namespace barrage
