#pragma once
// when_any: await several tasks; the first to finish wins, the others are cancelled and
// awaited, then the winner's value is returned (or its exception rethrown).
#include <array>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/branch.hpp"

namespace barrage {

template <class T>
struct when_any_result {
  std::size_t index;
  detail::stored_t<T> value;
};

namespace detail {
/// The winner's final step stops its siblings (which only schedules them).
template <class Branches>
void stop_others_on_first(branch_join& join, Branches& branches) noexcept {
  join.ctx = &branches;
  join.on_first = [](void* ctx) noexcept {
    for (auto& b : *static_cast<Branches*>(ctx)) b.stop();
  };
}
}  // namespace detail

template <class... Ts>
task<std::variant<detail::stored_t<Ts>...>> when_any(task<Ts>... tasks) {
  static_assert(sizeof...(Ts) > 0);
  stop_scope* parent = co_await this_scope{};
  detail::throw_if_stop_pending(parent);
  detail::branch_join join;
  std::tuple<detail::outcome<Ts>...> outs;
  auto branches = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<detail::branch_coroutine, sizeof...(Ts)>{
        detail::run_branch<Ts>(parent, join, I, tasks, std::get<I>(outs))...};
  }(std::index_sequence_for<Ts...>{});
  detail::stop_others_on_first(join, branches);
  for (auto& b : branches) b.start(join);
  co_await detail::branch_join::wait_all{join};
  std::optional<std::variant<detail::stored_t<Ts>...>> r;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((join.winner == I ? (void)r.emplace(std::in_place_index<I>, detail::take_value<Ts>(std::get<I>(outs))) : void()), ...);
  }(std::index_sequence_for<Ts...>{});
  co_return std::move(*r);
}

template <class T>
task<when_any_result<T>> when_any(std::vector<task<T>> tasks) {
  if (tasks.empty()) throw std::invalid_argument("when_any of no tasks");
  stop_scope* parent = co_await this_scope{};
  detail::throw_if_stop_pending(parent);
  detail::branch_join join;
  std::vector<detail::outcome<T>> outs(tasks.size());
  std::vector<detail::branch_coroutine> branches;
  branches.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) branches.push_back(detail::run_branch<T>(parent, join, i, tasks[i], outs[i]));
  detail::stop_others_on_first(join, branches);
  for (auto& b : branches) b.start(join);
  co_await detail::branch_join::wait_all{join};
  co_return when_any_result<T>{join.winner, detail::take_value<T>(outs[join.winner])};
}

}  // namespace barrage
