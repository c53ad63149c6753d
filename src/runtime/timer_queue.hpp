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

/// 24 bytes: it lives in every sleeping or timed-out-waiting frame.
struct timer_node {
  using fire_fn = void (*)(timer_node*) noexcept;
  time_point deadline{};
  fire_fn fire = nullptr;
  // Arrival order, compared modulo 2^32: ties between equal deadlines are broken right as long
  // as fewer than 2^31 timers were inserted between the two (about an hour at 600k timers/s).
  std::uint32_t seq = 0;
  std::uint32_t slot = npos;  // index in the heap, npos when not queued
  static constexpr std::uint32_t npos = ~std::uint32_t{0};
  bool queued() const noexcept { return slot != npos; }
};

class timer_queue {
 public:
  /// first_arrival: the arrival number of the first insert (tests start it near the wrap).
  explicit timer_queue(std::uint32_t first_arrival = 0) noexcept : next_seq_(first_arrival) {}
  void insert(timer_node& n);
  /// Removes n if queued; a no-op otherwise.
  void cancel(timer_node& n) noexcept;
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  /// Earliest deadline; only when !empty().
  time_point next_deadline() const noexcept { return heap_.front()->deadline; }
  /// Removes and returns the earliest node when it is due at `now`, else nullptr.
  timer_node* pop_due(time_point now) noexcept;
  /// The latest deadline not after `bound` (the earliest deadline when none is): where one
  /// wake-up serves every timer due by `bound`. Visits only the nodes due by `bound` and their
  /// children, so its cost is that of firing them. Only when !empty().
  time_point latest_due_by(time_point bound) const noexcept;

 private:
  static bool before(const timer_node* a, const timer_node* b) noexcept {
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && static_cast<std::int32_t>(a->seq - b->seq) < 0);
  }
  void place(std::size_t i, timer_node* n) noexcept {
    heap_[i] = n;
    n->slot = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i) noexcept;
  void remove_at(std::size_t i) noexcept;

  std::vector<timer_node*> heap_;
  std::uint32_t next_seq_ = 0;
};

}  // namespace barrage
