#pragma once
// The machinery under when_all, when_any and with_timeout: each awaited task runs as a
// branch, a coroutine with its own stop scope (a child of the awaiting task's scope), that
// stores its outcome and tells a shared counter when it finishes. The combinator resumes
// when the last branch finishes, so branch frames never outlive it.
#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

#include "runtime/task.hpp"

namespace barrage::detail {

template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
using outcome = std::variant<std::monostate, stored_t<T>, std::exception_ptr>;

/// A combinator's start is a suspension point: a stop request already pending on the
/// awaiting task is delivered there, rather than parked on a scope whose requests now go
/// to the branches.
inline void throw_if_stop_pending(stop_scope* s) {
  if (s && s->take_pending()) throw operation_cancelled{};
}

/// Lives in the combinator's frame.
struct branch_join {
  std::size_t remaining = 1;  // branches still running, plus the combinator until it suspends
  std::coroutine_handle<> parent;
  std::size_t winner = ~std::size_t{0};
  std::exception_ptr first_error;
  void (*on_first)(void* ctx) noexcept = nullptr;  // when_any: stop the others
  void* ctx = nullptr;

  struct wait_all {
    branch_join& j;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
      j.parent = h;
      return --j.remaining != 0;
    }
    void await_resume() const noexcept {}
  };
};

struct branch_promise : promise_base {
  child_stop_scope own;
  branch_join* join;
  std::size_t index;

  template <class... Rest>
  branch_promise(stop_scope* parent, branch_join& j, std::size_t i, Rest&...) : own(parent, nullptr), join(&j), index(i) {
    scope = &own;
  }
  struct branch_coroutine get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<branch_promise> h) noexcept {
      branch_join& j = *h.promise().join;
      if (j.winner == ~std::size_t{0}) {
        j.winner = h.promise().index;
        if (j.on_first) j.on_first(j.ctx);
      }
      return --j.remaining == 0 ? j.parent : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() const noexcept { return {}; }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { std::terminate(); }  // branch bodies catch everything
};

struct branch_coroutine {
  using promise_type = branch_promise;
  std::coroutine_handle<branch_promise> h;
  branch_coroutine(branch_coroutine&& o) noexcept : h(std::exchange(o.h, {})) {}
  explicit branch_coroutine(std::coroutine_handle<branch_promise> hh) noexcept : h(hh) {}
  ~branch_coroutine() {
    if (h) h.destroy();
  }
  void start(branch_join& j) {
    ++j.remaining;
    h.resume();
  }
  void stop() noexcept { h.promise().own.request_stop(); }
};

inline branch_coroutine branch_promise::get_return_object() noexcept {
  return branch_coroutine{std::coroutine_handle<branch_promise>::from_promise(*this)};
}

template <class T>
branch_coroutine run_branch(stop_scope*, branch_join& j, std::size_t, task<T>& t, outcome<T>& out) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await t;
      out.template emplace<1>();
    } else {
      out.template emplace<1>(co_await t);
    }
  } catch (...) {
    out.template emplace<2>(std::current_exception());
    if (!j.first_error) j.first_error = std::get<2>(out);
  }
}

template <class T>
stored_t<T> take_value(outcome<T>& o) {
  if (o.index() == 2) std::rethrow_exception(std::get<2>(o));
  return std::move(std::get<1>(o));
}

/// The result type of `co_await a`.
template <class A>
decltype(auto) get_awaiter(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); }) return std::forward<A>(a).operator co_await();
  else if constexpr (requires { operator co_await(std::forward<A>(a)); }) return operator co_await(std::forward<A>(a));
  else return std::forward<A>(a);
}
template <class A>
using await_result_t = decltype(get_awaiter(std::declval<A>()).await_resume());

}  // namespace barrage::detail
