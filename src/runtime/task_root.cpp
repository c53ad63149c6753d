#include "runtime/task_root.hpp"

#include "runtime/event_loop.hpp"

namespace barrage::detail {

void report_lost(std::exception_ptr e, const char* task_name) noexcept {
  event_loop* loop = event_loop::current_or_null();
  if (!loop) return;  // released after its loop ended: nobody left to tell
  try {
    std::rethrow_exception(e);
  } catch (const operation_cancelled&) {
  } catch (...) {
    try {
      loop->report_unhandled(e, task_name);
    } catch (...) {  // the user's handler threw: nothing sane is left to do with it
    }
  }
}

std::coroutine_handle<> finish_task_root(stop_scope& scope, std::coroutine_handle<> frame,
                                         std::exception_ptr* error) noexcept {
  auto& r = static_cast<task_root&>(scope);
  if (r.frame != frame) return std::noop_coroutine();  // a frame sharing the scope, not its top
  if (event_loop* loop = event_loop::current_or_null()) loop->forget(r);
  r.finished = true;
  if (!r.has_handle) {  // detached: nobody will ever look at the outcome
    if (error) report_lost(*error, r.name());
    frame.destroy();
    delete &r;
    return std::noop_coroutine();
  }
  if (join_waiter* j = std::exchange(r.joiner, nullptr)) {
    if (j->wait.scope) j->wait.scope->disarm();
    return j->h;
  }
  return std::noop_coroutine();
}

}  // namespace barrage::detail
