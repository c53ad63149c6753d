#pragma once
// spawn(task): run a task concurrently on the current loop, like asyncio.create_task.
// It starts on the loop's next turn. The join_handle retrieves its value or exception
// (co_await), cancels it, or lets it go (destroying the handle detaches the task). An
// exception that nobody retrieves is reported to the loop, never silently dropped.
//
// The spawned task's own frame runs as the root (no wrapper coroutine): a detail::task_root
// beside it holds its stop scope and its place in the loop, and its promise the outcome.
#include <utility>

#include "runtime/event_loop.hpp"
#include "runtime/task.hpp"
#include "runtime/task_root.hpp"

namespace barrage {

template <class T = void>
class [[nodiscard]] join_handle {
  using promise = detail::task_promise<T>;

 public:
  join_handle() = default;
  explicit join_handle(detail::task_root* r) noexcept : r_(r) {}
  join_handle(join_handle&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      release();
      r_ = std::exchange(o.r_, nullptr);
    }
    return *this;
  }
  ~join_handle() { release(); }

  /// True once the task finished (or its loop destroyed it).
  bool done() const noexcept { return !r_ || r_->finished || r_->frame_gone; }
  /// Asks the task to stop at its next suspension point.
  void cancel() noexcept {
    if (!done()) r_->request_stop();
  }
  /// Lets the task run on by itself; its exception, if any, goes to the loop.
  void detach() noexcept { release(); }

  /// Only when done(): the value, or the task's exception rethrown. Once.
  T take() {
    if (!r_ || r_->frame_gone) throw operation_cancelled{};  // its loop destroyed it unfinished
    r_->retrieved = true;
    return promise_of(*r_).take();
  }

  class awaiter {
   public:
    explicit awaiter(join_handle* self) noexcept : self_(self) {}
    bool await_ready() const noexcept { return self_->done(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      if (!w_.wait.enter(detail::scope_of(h), &abort, this)) return false;
      w_.h = h;
      self_->r_->joiner = &w_;
      return true;
    }
    T await_resume() {
      w_.wait.leave();
      return self_->take();
    }

   private:
    static void abort(void* p) noexcept {
      auto* a = static_cast<awaiter*>(p);
      a->self_->r_->joiner = nullptr;
      a->w_.wait.cancelled = true;
      event_loop::current().schedule(a->w_.h, a->w_.wait.scope);
    }
    join_handle* self_;
    detail::join_waiter w_;
  };
  /// co_await handle: waits for the task. Cancelling the waiter stops the wait, not the task.
  awaiter operator co_await() noexcept { return awaiter{this}; }

 private:
  static promise& promise_of(detail::task_root& r) noexcept {
    return std::coroutine_handle<promise>::from_address(r.frame.address()).promise();
  }
  void release() noexcept {
    detail::task_root* r = std::exchange(r_, nullptr);
    if (!r) return;
    r->has_handle = false;
    if (r->frame_gone) {
      delete r;
      return;
    }
    if (!r->finished) return;  // it frees itself when it ends
    if (!r->retrieved) {
      if (std::exception_ptr* e = promise_of(*r).failure()) detail::report_lost(*e, r->name());
    }
    r->frame.destroy();
    delete r;
  }
  detail::task_root* r_ = nullptr;
};

/// Starts t on `loop` (the current thread's loop by default) under its own stop scope.
template <class T>
join_handle<T> spawn(event_loop& loop, task<T> t, const char* name = nullptr) {
  auto h = t.release();
  auto* r = new detail::task_root(name, h);
  h.promise().scope = r;
  loop.adopt(*r);
  loop.schedule(h, r);
  return join_handle<T>(r);
}
template <class T>
join_handle<T> spawn(task<T> t, const char* name = nullptr) {
  return spawn(event_loop::current(), std::move(t), name);
}

template <class T>
T event_loop::run(task<T> t) {
  auto main = spawn(*this, std::move(t), "main");
  while (!main.done()) run_once();
  cancel_all_and_drain(std::chrono::seconds(1));
  if (auto e = take_unhandled()) {
    main.detach();
    std::rethrow_exception(e);
  }
  return main.take();
}

/// Runs t on a new loop on the calling thread (which must have none running).
template <class T>
T sync_wait(task<T> t) {
  event_loop loop;
  return loop.run(std::move(t));
}

}  // namespace barrage
