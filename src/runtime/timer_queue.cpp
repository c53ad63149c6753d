#include "runtime/timer_queue.hpp"

#include <algorithm>
#include <iterator>

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

time_point timer_queue::latest_due_by(time_point bound) const noexcept {
  time_point latest = heap_.front()->deadline;
  // A heap's subtree holds nothing earlier than its root: a node after `bound` ends its branch.
  // Depth-first with an explicit stack of indices; a node's children are 2i+1 and 2i+2.
  std::size_t stack[64];
  std::size_t depth = 0;
  if (latest <= bound) stack[depth++] = 0;
  while (depth > 0) {
    const std::size_t i = stack[--depth];
    latest = std::max(latest, heap_[i]->deadline);
    for (std::size_t c = 2 * i + 1; c <= 2 * i + 2 && c < heap_.size(); ++c) {
      if (heap_[c]->deadline > bound) continue;
      if (depth == std::size(stack)) return latest;  // deeper than 64 pending: stop early, never late
      stack[depth++] = c;
    }
  }
  return latest;
}

void timer_queue::remove_at(std::size_t i) noexcept {
  timer_node* gone = heap_[i];
  timer_node* last = heap_.back();
  heap_.pop_back();
  gone->slot = timer_node::npos;
  if (i == heap_.size()) return;
  if (i > 0 && before(last, heap_[(i - 1) / 2])) {
    place(i, last);
    sift_up(i);
    return;
  }
  // `last` is most often the latest deadline of all (timeouts are armed at now + a constant):
  // the hole goes down to a leaf along the earlier children, one comparison per level where
  // sifting `last` down would take two, and `last` rises from there, rarely by a level. It
  // cannot rise above i: it is not before i's parent.
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
    place(i, heap_[child]);
    i = child;
  }
  place(i, last);
  sift_up(i);
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

}  // namespace barrage
