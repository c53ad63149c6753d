#pragma once
// A FIFO of suspended tasks for the synchronisation primitives. Each waiter lives in its
// awaiting frame and unlinks itself when cancelled, so nothing is allocated per wait.
#include <coroutine>

#include "base/intrusive_fifo.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/stop_scope.hpp"
#include "runtime/task.hpp"

namespace barrage::detail {

struct waiter {
  fifo_links<waiter> links;
  std::coroutine_handle<> h;
  cancellable_wait wait;
};

class waiter_list {
 public:
  bool empty() const noexcept { return list_.empty(); }
  void push(waiter& w) noexcept { list_.push_back(w); }
  void remove(waiter& w) noexcept { list_.remove(w); }
  /// Unlinks the oldest waiter and schedules it on the current loop.
  waiter* wake_one() {
    waiter* w = list_.front();
    if (!w) return nullptr;
    remove(*w);
    if (w->wait.scope) w->wait.scope->disarm();  // a later stop request stays pending
    event_loop::current().schedule(w->h, w->wait.scope);
    return w;
  }

 private:
  intrusive_fifo<waiter, &waiter::links> list_;
};

/// The awaiter shape shared by the primitives: `Owner::try_acquire(self)` decides at once;
/// otherwise the task joins `list` until woken (or cancelled, which unlinks it).
template <class Owner>
struct list_awaiter {
  Owner* owner;
  waiter_list* list;
  waiter node{};

  bool await_ready() { return owner->ready_now(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!node.wait.enter(scope_of(h), &abort, this)) return false;
    node.h = h;
    list->push(node);
    return true;
  }
  void await_resume() { node.wait.leave(); }
  ~list_awaiter() { list->remove(node); }

  static void abort(void* p) noexcept {
    auto* self = static_cast<list_awaiter*>(p);
    self->list->remove(self->node);
    self->node.wait.cancelled = true;
    self->owner->on_abandon();
    event_loop::current().schedule(self->node.h, self->node.wait.scope);
  }
};

}  // namespace barrage::detail
