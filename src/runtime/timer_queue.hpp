#pragma once
// The loop's timers: a binary min-heap of intrusive nodes ordered by (deadline, arrival).
// A node lives in the waiting frame (no allocation per timer; the heap's array grows only
// to the high-water mark). Insert and cancel are O(log n) with the node's slot kept in the
// node, and cancelling the newest timer, the common case for timeouts, touches one slot.
// Equal deadlines fire in insertion order.
#include <cstdint>
#include <vector>

#include "base/clock.hpp"

namespace barrage {

struct timer_node {
  using fire_fn = void (*)(timer_node*) noexcept;
  time_point deadline{};
  fire_fn fire = nullptr;
  std::uint64_t seq = 0;
  std::size_t slot = npos;  // index in the heap, npos when not queued
  static constexpr std::size_t npos = ~std::size_t{0};
  bool queued() const noexcept { return slot != npos; }
};

class timer_queue {
 public:
  void insert(timer_node& n);
  /// Removes n if queued; a no-op otherwise.
  void cancel(timer_node& n) noexcept;
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  /// Earliest deadline; only when !empty().
  time_point next_deadline() const noexcept { return heap_.front()->deadline; }
  /// Removes and returns the earliest node when it is due at `now`, else nullptr.
  timer_node* pop_due(time_point now) noexcept;

 private:
  static bool before(const timer_node* a, const timer_node* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
  }
  void place(std::size_t i, timer_node* n) noexcept {
    heap_[i] = n;
    n->slot = i;
  }
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void remove_at(std::size_t i) noexcept;

  std::vector<timer_node*> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace barrage
