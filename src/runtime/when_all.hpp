#pragma once
// when_all / gather: await several tasks concurrently. Results come in input order; when
// any task fails, the first exception (in completion order) is rethrown after all finish.
// Cancelling the awaiting task cancels every branch.
#include <array>
#include <tuple>
#include <vector>

#include "runtime/branch.hpp"

namespace barrage {

template <class... Ts>
task<std::tuple<detail::stored_t<Ts>...>> when_all(task<Ts>... tasks) {
  stop_scope* parent = co_await this_scope{};
  detail::throw_if_stop_pending(parent);
  detail::branch_join join;
  std::tuple<detail::outcome<Ts>...> outs;
  auto branches = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<detail::branch_coroutine, sizeof...(Ts)>{
        detail::run_branch<Ts>(parent, join, I, tasks, std::get<I>(outs))...};
  }(std::index_sequence_for<Ts...>{});
  for (auto& b : branches) b.start(join);
  co_await detail::branch_join::wait_all{join};
  if (join.first_error) std::rethrow_exception(join.first_error);
  co_return std::apply([](auto&... o) { return std::tuple{std::move(std::get<1>(o))...}; }, outs);
}

template <class T>
auto when_all(std::vector<task<T>> tasks) -> task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> {
  stop_scope* parent = co_await this_scope{};
  detail::throw_if_stop_pending(parent);
  detail::branch_join join;
  std::vector<detail::outcome<T>> outs(tasks.size());
  std::vector<detail::branch_coroutine> branches;
  branches.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) branches.push_back(detail::run_branch<T>(parent, join, i, tasks[i], outs[i]));
  for (auto& b : branches) b.start(join);
  co_await detail::branch_join::wait_all{join};
  if (join.first_error) std::rethrow_exception(join.first_error);
  if constexpr (!std::is_void_v<T>) {
    std::vector<T> values;
    values.reserve(outs.size());
    for (auto& o : outs) values.push_back(std::move(std::get<1>(o)));
    co_return values;
  }
}

/// asyncio's name for when_all.
template <class... A>
auto gather(A&&... a) {
  return when_all(std::forward<A>(a)...);
}

}  // namespace barrage
