#pragma once
// with_timeout(d, awaitable): the awaitable's value, or std::errc::timed_out when d passes
// first, in which case the inner operation is cancelled and has finished before this returns.
#include <system_error>

#include "base/result.hpp"
#include "runtime/sleep.hpp"
#include "runtime/when_any.hpp"

namespace barrage {

template <class T>
task<result<T, std::errc>> with_timeout(duration d, task<T> inner) {
  auto timer = [](duration dd) -> task<void> { co_await sleep_for(dd); };
  auto r = co_await when_any(std::move(inner), timer(d));
  if (r.index() == 1) co_return fail(std::errc::timed_out);
  if constexpr (std::is_void_v<T>) co_return result<void, std::errc>{};
  else co_return std::move(std::get<0>(r));
}

/// Any awaitable (a sleep, a join_handle, an I/O operation...), run as a task.
template <class A>
  requires(!requires { typename std::remove_cvref_t<A>::promise_type; })
auto with_timeout(duration d, A&& awaitable) {
  using T = detail::await_result_t<A>;
  auto wrap = [](std::remove_cvref_t<A> a) -> task<T> { co_return co_await std::move(a); };
  return with_timeout<T>(d, wrap(std::forward<A>(awaitable)));
}

}  // namespace barrage
