#pragma once
// spawn(task): run a task concurrently on the current loop, like asyncio.create_task.
// It starts on the loop's next turn. The join_handle retrieves its value or exception
// (co_await), cancels it, or lets it go (destroying the handle detaches the task). An
// exception that nobody retrieves is reported to the loop, never silently dropped.
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "runtime/event_loop.hpp"
#include "runtime/task.hpp"

namespace barrage {

template <class T>
class join_handle;

namespace detail {

template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
struct root_promise;

/// Everything a spawned task's frame holds besides how it returns.
template <class T>
struct root_state : promise_base, root_link {
  event_loop* loop;
  stop_scope own_scope;
  std::variant<std::monostate, stored_t<T>, std::exception_ptr> outcome;
  std::coroutine_handle<> joiner;
  stop_scope* joiner_scope = nullptr;
  join_handle<T>* handle = nullptr;  // null once detached
  bool retrieved = false;

  template <class... A>
  root_state(event_loop& l, const char* name, A&&...) : loop(&l), own_scope(name) {
    scope = &own_scope;
    root_scope = &own_scope;
    frame = std::coroutine_handle<root_promise<T>>::from_promise(static_cast<root_promise<T>&>(*this));
    loop->adopt(*this);
  }
  ~root_state();

  std::coroutine_handle<root_promise<T>> get_return_object() noexcept {
    return std::coroutine_handle<root_promise<T>>::from_promise(static_cast<root_promise<T>&>(*this));
  }
  std::suspend_always initial_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { outcome.template emplace<2>(std::current_exception()); }

  /// A task that ended by cancellation is not an error anybody must hear of (asyncio agrees).
  void report_if_lost() {
    if (outcome.index() != 2 || retrieved) return;
    try {
      std::rethrow_exception(std::get<2>(outcome));
    } catch (const operation_cancelled&) {
    } catch (...) {
      loop->report_unhandled(std::get<2>(outcome), own_scope.name());
    }
  }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<root_promise<T>> h) noexcept {
      root_state& p = h.promise();
      p.loop->forget(p);
      if (!p.handle) {  // detached: nobody will ever look at the outcome
        p.report_if_lost();
        h.destroy();
        return std::noop_coroutine();
      }
      if (p.joiner) {
        if (p.joiner_scope) p.joiner_scope->disarm();
        return std::exchange(p.joiner, {});
      }
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() const noexcept { return {}; }
};

template <class T>
struct root_promise : root_state<T> {
  using root_state<T>::root_state;
  template <class U>
  void return_value(U&& v) {
    this->outcome.template emplace<1>(std::forward<U>(v));
  }
};

template <>
struct root_promise<void> : root_state<void> {
  using root_state<void>::root_state;
  void return_void() noexcept { this->outcome.template emplace<1>(); }
};

template <class T>
struct root_coroutine {
  using promise_type = root_promise<T>;
  std::coroutine_handle<root_promise<T>> h;
  root_coroutine(std::coroutine_handle<root_promise<T>> hh) : h(hh) {}
};

template <class T>
root_coroutine<T> run_root(event_loop&, const char*, task<T> t) {
  if constexpr (std::is_void_v<T>) co_await t;
  else co_return co_await t;
}

}  // namespace detail

template <class T = void>
class [[nodiscard]] join_handle {
  using promise = detail::root_promise<T>;

 public:
  join_handle() = default;
  explicit join_handle(std::coroutine_handle<promise> h) : h_(h) { h_.promise().handle = this; }
  join_handle(join_handle&& o) noexcept : h_(std::exchange(o.h_, {})) {
    if (h_) h_.promise().handle = this;
  }
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      release();
      h_ = std::exchange(o.h_, {});
      if (h_) h_.promise().handle = this;
    }
    return *this;
  }
  ~join_handle() { release(); }

  /// True once the task finished (or its loop destroyed it).
  bool done() const noexcept { return !h_ || h_.done(); }
  /// Asks the task to stop at its next suspension point.
  void cancel() noexcept {
    if (h_ && !h_.done()) h_.promise().own_scope.request_stop();
  }
  /// Lets the task run on by itself; its exception, if any, goes to the loop.
  void detach() noexcept { release(); }

  /// Only when done(): the value, or the task's exception rethrown. Once.
  T take() {
    if (!h_) throw operation_cancelled{};  // its loop destroyed it unfinished
    promise& p = h_.promise();
    p.retrieved = true;
    if (p.outcome.index() == 2) std::rethrow_exception(std::get<2>(p.outcome));
    if constexpr (!std::is_void_v<T>) return std::move(std::get<1>(p.outcome));
  }

  class awaiter {
   public:
    explicit awaiter(join_handle* self) noexcept : self_(self) {}
    bool await_ready() const noexcept { return self_->done(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      if (!wait_.enter(detail::scope_of(h), &abort, this)) return false;
      self_->h_.promise().joiner = h;
      self_->h_.promise().joiner_scope = wait_.scope;
      return true;
    }
    T await_resume() {
      wait_.leave();
      return self_->take();
    }

   private:
    static void abort(void* w) noexcept {
      auto* a = static_cast<awaiter*>(w);
      promise& p = a->self_->h_.promise();
      std::coroutine_handle<> h = std::exchange(p.joiner, {});
      a->wait_.cancelled = true;
      p.loop->schedule(h, a->wait_.scope);
    }
    join_handle* self_;
    cancellable_wait wait_;
  };
  /// co_await handle: waits for the task. Cancelling the waiter stops the wait, not the task.
  awaiter operator co_await() noexcept { return awaiter{this}; }

 private:
  friend struct detail::root_state<T>;
  void release() noexcept {
    if (!h_) return;
    promise& p = h_.promise();
    p.handle = nullptr;
    if (h_.done()) {
      p.report_if_lost();
      h_.destroy();
    }
    h_ = {};
  }
  std::coroutine_handle<promise> h_;
};

namespace detail {
template <class T>
root_state<T>::~root_state() {
  loop->forget(*this);
  if (handle) handle->h_ = {};  // destroyed unfinished by its loop
}
}  // namespace detail

/// Starts t on `loop` (the current thread's loop by default) under its own stop scope.
template <class T>
join_handle<T> spawn(event_loop& loop, task<T> t, const char* name = nullptr) {
  auto root = detail::run_root<T>(loop, name, std::move(t));
  loop.schedule(root.h, &root.h.promise().own_scope);
  return join_handle<T>(root.h);
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
