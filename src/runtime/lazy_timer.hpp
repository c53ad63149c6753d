#pragma once
// lazy_timer: one deadline timer for a series of waits, each with its own deadline, that costs
// no timer-heap operation per wait while the deadlines move forward: a connection's read
// timeout, armed at now + timeout before every read and stopped when the read completes.
// (nginx's NGX_TIMER_LAZY_DELAY idea, with the deadline checked again when the node fires.)
//
// Its node stays queued after a wait ends. A new wait whose deadline is not before the queued
// one keeps the node where it is; when the node fires before the wait's deadline, it is queued
// again at that deadline, and a node that fires with no wait in progress leaves the heap. So a
// wait expires exactly when a plain timer at its deadline would (never early, never later),
// and a series of waits costs a re-queue per deadline that passes (one per timeout period)
// instead of an insert and a cancel per wait. The price: the loop may wake once at a stale
// deadline, at most one timeout after the last wait.
//
// Loop thread only; the loop must outlive the timer while its node is queued (release_if_idle).
#include <type_traits>

#include "base/clock.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/timer_queue.hpp"

namespace barrage {

class lazy_timer {
 public:
  using expire_fn = void (*)(void* ctx) noexcept;

  lazy_timer() = default;
  lazy_timer(const lazy_timer&) = delete;
  lazy_timer& operator=(const lazy_timer&) = delete;
  ~lazy_timer() {
    if (timer_.node.queued()) loop_->cancel_timer(timer_.node);
  }

  /// Starts a wait: fn(ctx) runs on the loop when `deadline` passes before stop(ctx). One
  /// wait at a time: a start replaces the wait in progress.
  void start(event_loop& loop, time_point deadline, expire_fn fn, void* ctx) noexcept {
    loop_ = &loop;
    deadline_ = deadline;
    fn_ = fn;
    ctx_ = ctx;
    timer_node& n = timer_.node;
    if (n.queued()) {
      if (n.deadline <= deadline) return;  // fires first, and queues itself again at deadline_
      loop.cancel_timer(n);
    }
    timer_.self = this;
    n.fire = &fire;
    loop.add_timer(n, deadline);
  }
  /// Ends the wait of `ctx`, if it is the one in progress; the node stays queued.
  void stop(const void* ctx) noexcept {
    if (ctx_ == ctx) fn_ = nullptr, ctx_ = nullptr;
  }
  /// Takes the node out of the loop's heap when no wait is in progress (a closed connection's
  /// timer: afterwards its destruction does not touch the loop).
  void release_if_idle() noexcept {
    if (!fn_ && timer_.node.queued()) loop_->cancel_timer(timer_.node);
  }
  /// Whether a wait is in progress.
  bool waiting() const noexcept { return fn_ != nullptr; }
  /// Whether the node is in the loop's timer heap (for tests).
  bool queued() const noexcept { return timer_.node.queued(); }

 private:
  static void fire(timer_node* n) noexcept {
    lazy_timer* self = reinterpret_cast<holder*>(n)->self;
    if (!self->fn_) return;  // no wait in progress: the node leaves the heap
    if (self->deadline_ > self->loop_->now()) {
      self->loop_->add_timer(*n, self->deadline_);
      return;
    }
    const expire_fn fn = self->fn_;
    void* ctx = self->ctx_;
    self->fn_ = nullptr;
    self->ctx_ = nullptr;
    fn(ctx);
  }
  struct holder {
    timer_node node;  // first member of a standard-layout struct: fire() casts back
    lazy_timer* self = nullptr;
  };
  static_assert(std::is_standard_layout_v<holder>, "fire() casts the timer node back");

  holder timer_;
  time_point deadline_{};
  expire_fn fn_ = nullptr;
  void* ctx_ = nullptr;
  event_loop* loop_ = nullptr;
};

}  // namespace barrage
