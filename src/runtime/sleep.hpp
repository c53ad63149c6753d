#pragma once
// sleep_for / sleep_until: suspend the calling task on the loop's timers. The timer node
// lives in the awaiting frame; cancelling the task removes it at once.
#include <type_traits>

#include "base/clock.hpp"
#include "runtime/event_loop.hpp"

namespace barrage {

/// 40 bytes in the awaiting frame: the timer node, the task and its scope. It follows the
/// cancellable_wait protocol with one field less: a cleared `fire` marks the cancellation.
/// The loop is the current one (a suspended task is resumed and destroyed by its own loop).
class sleep_awaiter {
 public:
  explicit sleep_awaiter(time_point deadline) noexcept { timer_.deadline = deadline; }
  ~sleep_awaiter() {
    if (timer_.queued()) event_loop::current().cancel_timer(timer_);
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    scope_ = detail::scope_of(h);
    if (scope_) {
      if (scope_->take_pending()) return false;  // fire stays null: await_resume throws
      scope_->arm(&abort, this);
    }
    h_ = h;
    timer_.fire = &fire;
    event_loop::current().add_timer(timer_, timer_.deadline);
    return true;
  }
  void await_resume() {
    if (scope_) scope_->disarm();
    if (!timer_.fire) throw operation_cancelled{};
  }

 private:
  static void fire(timer_node* t) noexcept {
    auto* self = reinterpret_cast<sleep_awaiter*>(t);  // timer_ is the first member
    if (self->scope_) self->scope_->disarm();  // a later stop request stays pending
    event_loop::current().schedule(self->h_, self->scope_);
  }
  static void abort(void* w) noexcept {
    auto* self = static_cast<sleep_awaiter*>(w);
    event_loop& loop = event_loop::current();
    loop.cancel_timer(self->timer_);
    self->timer_.fire = nullptr;
    loop.schedule(self->h_, self->scope_);
  }

  timer_node timer_;  // first: fire() casts the node back to its awaiter
  std::coroutine_handle<> h_;
  stop_scope* scope_ = nullptr;
};
static_assert(std::is_standard_layout_v<sleep_awaiter>, "fire() casts the timer node back");
static_assert(sizeof(sleep_awaiter) <= 40, "a sleeping task pays for every byte here");

inline sleep_awaiter sleep_until(time_point deadline) noexcept { return sleep_awaiter{deadline}; }
/// Measured from the loop's time of this turn.
inline sleep_awaiter sleep_for(duration d) {
  return sleep_awaiter{event_loop::current().now() + d};
}

/// Lets other ready tasks run, then resumes (asyncio.sleep(0)).
struct yield_now {
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    event_loop::current().schedule(h, detail::scope_of(h));
  }
  void await_resume() const noexcept {}
};

}  // namespace barrage
