#pragma once
// task<T>: a lazy coroutine. It starts when awaited, resumes its awaiter by symmetric
// transfer when it finishes (so a million synchronous completions use no stack), and
// rethrows its exception in the awaiter. A task never awaited is destroyed with its frame
// and captured arguments. Frames come from the per-thread frame_allocator.
#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "runtime/frame_allocator.hpp"
#include "runtime/stop_scope.hpp"

namespace barrage {

template <class T = void>
class task;

namespace detail {

/// What every barrage coroutine frame carries: who to resume, and its cancellation scope.
struct promise_base {
  std::coroutine_handle<> continuation;
  stop_scope* scope = nullptr;

  static void* operator new(std::size_t n) { return frame_allocator::allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_allocator::deallocate(p, n); }
};

/// The scope of the awaiting coroutine, when it is one of ours.
template <class P>
stop_scope* scope_of(std::coroutine_handle<P> h) noexcept {
  if constexpr (std::is_base_of_v<promise_base, P>) return h.promise().scope;
  else return nullptr;
}

/// A spawned task finished (runtime/spawn.cpp): hands its outcome to its join_handle or the
/// loop and returns what runs next. `error` is its exception, or null.
std::coroutine_handle<> finish_task_root(stop_scope& root, std::coroutine_handle<> frame,
                                         std::exception_ptr* error) noexcept;

/// An awaited task resumes its awaiter; a task with none is a spawned task's top frame.
struct final_transfer {
  bool await_ready() const noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    P& p = h.promise();
    if (p.continuation) return p.continuation;
    if (p.scope && p.scope->is_task_root()) return finish_task_root(*p.scope, h, p.failure());
    return std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

template <class T>
class task_promise : public promise_base {
 public:
  task_promise() noexcept {}
  task<T> get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_transfer final_suspend() const noexcept { return {}; }

  template <class U>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    ::new (static_cast<void*>(&value_)) T(std::forward<U>(v));
    state_ = state::value;
  }
  void unhandled_exception() noexcept {
    ::new (static_cast<void*>(&error_)) std::exception_ptr(std::current_exception());
    state_ = state::error;
  }
  T take() {
    if (state_ == state::error) std::rethrow_exception(error_);
    return std::move(value_);
  }
  std::exception_ptr* failure() noexcept { return state_ == state::error ? &error_ : nullptr; }
  ~task_promise() {
    if (state_ == state::value) value_.~T();
    else if (state_ == state::error) error_.~exception_ptr();
  }

 private:
  enum class state : unsigned char { empty, value, error };
  union {
    T value_;
    std::exception_ptr error_;
  };
  state state_ = state::empty;
};

template <>
class task_promise<void> : public promise_base {
 public:
  task<void> get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_transfer final_suspend() const noexcept { return {}; }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { error_ = std::current_exception(); }
  void take() {
    if (error_) std::rethrow_exception(error_);
  }
  std::exception_ptr* failure() noexcept { return error_ ? &error_ : nullptr; }

 private:
  std::exception_ptr error_;
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;
  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  explicit task(handle_type h) noexcept : h_(h) {}
  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~task() {
    if (h_) h_.destroy();
  }

  bool valid() const noexcept { return bool(h_); }
  bool done() const noexcept { return h_ && h_.done(); }

  struct awaiter {
    handle_type h;
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> caller) noexcept {
      h.promise().continuation = caller;
      if (!h.promise().scope) h.promise().scope = detail::scope_of(caller);
      return h;
    }
    T await_resume() { return h.promise().take(); }
  };
  awaiter operator co_await() const& noexcept { return awaiter{h_}; }

  /// For the runtime's own drivers (spawn, combinators): the frame, still owned by the task.
  handle_type handle() const noexcept { return h_; }
  handle_type release() noexcept { return std::exchange(h_, {}); }

 private:
  handle_type h_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}
}  // namespace detail

/// The scope of the calling task: `stop_scope* s = co_await this_scope{};`
struct this_scope {
  stop_scope* scope = nullptr;
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    scope = detail::scope_of(h);
    return false;
  }
  stop_scope* await_resume() const noexcept { return scope; }
};

}  // namespace barrage
