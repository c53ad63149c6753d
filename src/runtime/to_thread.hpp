#pragma once
// to_thread(fn): runs blocking work on a thread pool and resumes the awaiting task on its
// own loop with fn's value (or exception). Cancelling the task detaches the work: it runs
// to its end on the pool, and its result is dropped. The loop must outlive work it started.
#include <atomic>
#include <exception>
#include <memory>
#include <type_traits>
#include <variant>

#include "runtime/branch.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/thread_pool.hpp"

namespace barrage {

namespace detail {
template <class R>
struct thread_job {
  std::variant<std::monostate, stored_t<R>, std::exception_ptr> out;
  std::atomic<bool> abandoned{false};
  std::coroutine_handle<> h;
  stop_scope* scope = nullptr;
  event_loop* loop = nullptr;
};
}  // namespace detail

template <class F, class R = std::invoke_result_t<F&>>
class to_thread_awaiter {
 public:
  to_thread_awaiter(F fn, thread_pool& pool) : fn_(std::move(fn)), pool_(&pool) {}

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (!wait_.enter(detail::scope_of(h), &abort, this)) return false;
    job_ = std::make_shared<detail::thread_job<R>>();
    job_->h = h;
    job_->scope = wait_.scope;
    job_->loop = &event_loop::current();
    pool_->submit([job = job_, fn = std::move(fn_)]() mutable {
      try {
        if constexpr (std::is_void_v<R>) {
          fn();
          job->out.template emplace<1>();
        } else {
          job->out.template emplace<1>(fn());
        }
      } catch (...) {
        job->out.template emplace<2>(std::current_exception());
      }
      event_loop* loop = job->loop;
      loop->call_soon_threadsafe([job = std::move(job)] {
        if (!job->abandoned.load(std::memory_order_acquire)) {
          if (job->scope) job->scope->disarm();
          job->loop->schedule(job->h, job->scope);
        }
      });
    });
    return true;
  }
  R await_resume() {
    wait_.leave();
    if constexpr (std::is_void_v<R>) detail::take_value<R>(job_->out);
    else return detail::take_value<R>(job_->out);
  }

 private:
  static void abort(void* p) noexcept {
    auto* self = static_cast<to_thread_awaiter*>(p);
    self->job_->abandoned.store(true, std::memory_order_release);
    self->wait_.cancelled = true;
    self->job_->loop->schedule(self->job_->h, self->wait_.scope);
  }
  F fn_;
  thread_pool* pool_;
  std::shared_ptr<detail::thread_job<R>> job_;
  cancellable_wait wait_;
};

/// co_await to_thread([]{ return blocking_call(); })
template <class F>
auto to_thread(F fn, thread_pool& pool = thread_pool::shared()) {
  return to_thread_awaiter<F>(std::move(fn), pool);
}

}  // namespace barrage
