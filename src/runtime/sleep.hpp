#pragma once
// sleep_for / sleep_until: suspend the calling task on the loop's timers. The timer node
// lives in the awaiting frame; cancelling the task removes it at once.
#include "base/clock.hpp"
#include "runtime/event_loop.hpp"

namespace barrage {

class sleep_awaiter {
 public:
  explicit sleep_awaiter(time_point deadline) noexcept : deadline_(deadline) {}
  ~sleep_awaiter() {
    if (loop_) loop_->cancel_timer(node_.timer);
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!wait_.enter(detail::scope_of(h), &abort, this)) return false;
    loop_ = &event_loop::current();
    node_.h = h;
    node_.self = this;
    node_.timer.fire = &fire;
    loop_->add_timer(node_.timer, deadline_);
    return true;
  }
  void await_resume() { wait_.leave(); }

 private:
  struct node {
    timer_node timer;  // first member of a standard-layout struct: fire() casts back
    std::coroutine_handle<> h;
    sleep_awaiter* self;
  };
  static void fire(timer_node* t) noexcept {
    auto* n = reinterpret_cast<node*>(t);
    if (n->self->wait_.scope) n->self->wait_.scope->disarm();  // a later stop request stays pending
    n->self->loop_->schedule(n->h, n->self->wait_.scope);
  }
  static void abort(void* w) noexcept {
    auto* self = static_cast<sleep_awaiter*>(w);
    self->loop_->cancel_timer(self->node_.timer);
    self->wait_.cancelled = true;
    self->loop_->schedule(self->node_.h, self->wait_.scope);
  }

  time_point deadline_;
  event_loop* loop_ = nullptr;
  node node_{};
  cancellable_wait wait_;
};

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
