#include "runtime/event_loop.hpp"

#include <time.h>

#include <stdexcept>

#include "runtime/task_root.hpp"

namespace barrage {
namespace {

thread_local event_loop* current_loop = nullptr;

/// The coarse clock (a vDSO read of the last tick): enough to catch a 20 ms step.
time_point coarse_now() noexcept {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

}  // namespace

event_loop::event_loop() : event_loop(options{}) {}

event_loop::event_loop(options opts, std::unique_ptr<io_backend> backend)
    : opts_(opts), backend_(backend ? std::move(backend) : make_io_backend(opts.backend)) {
  previous_ = std::exchange(current_loop, this);
  now_ = mono_clock::now();
  step_start_ = busy_since_ = coarse_now();
  if (opts_.monitor_lag) {
    lag_timer_.fire = &event_loop::sample_lag;
    add_timer(lag_timer_, now_ + opts_.lag_interval);
  }
}

event_loop::~event_loop() {
  cancel_timer(lag_timer_);
  // A frame's destruction may release join_handles (of this task or others): the root is
  // marked gone only afterwards, so that a handle released meanwhile leaves it to us.
  while (detail::task_root* r = first_root_) {
    forget(*r);
    r->frame.destroy();
    r->frame_gone = true;
    if (!r->has_handle) delete r;
  }
  current_loop = previous_;
}

event_loop& event_loop::current() {
  if (!current_loop) throw std::logic_error("barrage: no event_loop on this thread");
  return *current_loop;
}

event_loop* event_loop::current_or_null() noexcept { return current_loop; }

void event_loop::ready_ring::push(ready_entry e) {
  if (size() == buf_.size()) {
    std::vector<ready_entry> bigger(buf_.size() * 2);
    std::size_t n = size();
    for (std::size_t i = 0; i < n; ++i) bigger[i] = buf_[(head_ + i) & mask_];
    buf_ = std::move(bigger);
    mask_ = buf_.size() - 1;
    head_ = 0;
    tail_ = n;
  }
  buf_[tail_++ & mask_] = e;
}

void event_loop::schedule(std::coroutine_handle<> h, stop_scope* scope) { ready_.push({h, scope}); }

void event_loop::call_soon_threadsafe(std::function<void()> fn) {
  {
    std::lock_guard lock(foreign_mutex_);
    foreign_.push_back(std::move(fn));
  }
  backend_->wake();
}

void event_loop::woken() noexcept {
  {
    std::lock_guard lock(foreign_mutex_);
    foreign_swap_.swap(foreign_);
  }
  for (auto& fn : foreign_swap_) fn();
  foreign_swap_.clear();
}

void event_loop::run_once(duration max_wait) {
  // 1. nearest timer
  duration timeout = max_wait;
  time_point hold_to{};  // hold_io: the batch the loop sleeps until, when it does
  if (!ready_.empty()) {
    timeout = duration::zero();
  } else if (!timers_.empty()) {
    time_point wake = timers_.next_deadline();
    if (opts_.timer_slack > duration::zero()) wake = timers_.latest_due_by(wake + opts_.timer_slack);
    duration until = std::max(duration::zero(), wake - mono_clock::now());
    if (opts_.hold_io && until > duration::zero() && until <= 2 * opts_.timer_slack &&
        (timeout < duration::zero() || until <= timeout))
      hold_to = wake;
    timeout = (timeout < duration::zero()) ? until : std::min(timeout, until);
  }
  metrics_.add_busy(coarse_now() - busy_since_);
  if (hold_to != time_point{}) {  // then what I/O finished meanwhile, without waiting
    backend_->flush();  // the turn's writes go out now, not after the sleep
    hold_until(hold_to);
    timeout = duration::zero();
    steps_since_poll_ = steps_between_polls;
  }
  // 2. wait, and 3. complete I/O: finished operations are scheduled through io_done().
  // While tasks are ready the poll would not wait: it is then only for fairness to I/O, and
  // is skipped until steps_between_polls task steps have run since the last one (a syscall
  // saved per turn of a task-to-task ping-pong; a busy server still polls every turn).
  if (timeout != duration::zero() || steps_since_poll_ >= steps_between_polls) {
    steps_since_poll_ = 0;
    backend_->poll(timeout, *this);
  }
  now_ = mono_clock::now();
  step_start_ = busy_since_ = coarse_now();
  metrics_.count_turn();
  // 4. run ready tasks
  run_ready();
  // 5. fire timers
  fire_timers();
}

void event_loop::hold_until(time_point wake) noexcept {
  const auto ns = to_ns(wake.time_since_epoch());
  const timespec at{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  // steady_clock is CLOCK_MONOTONIC; an interrupted sleep ends early, which the poll after
  // it only makes a turn sooner (timers never fire early: fire_timers checks the clock).
  ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr);
}

void event_loop::run_ready() {
  for (std::size_t n = ready_.size(); n > 0; --n) {
    ready_entry e = ready_.pop();
    ++steps_since_poll_;
    e.h.resume();
    time_point t = coarse_now();
    duration held = t - step_start_;
    step_start_ = t;
    if (held > opts_.slow_step_threshold) {
      metrics_.count_slow_step();
      if (slow_hook_) slow_hook_(e.scope ? e.scope->name() : "callback", held);
    }
  }
}

void event_loop::fire_timers() {
  // With a slack, a batch fires whole at its wake-up point, never piece by piece in turns that
  // I/O or a task brought earlier: otherwise each response would send the arrivals due by then,
  // whose responses wake the loop again, and so on (one wake-up per request at 20k/s).
  if (opts_.timer_slack > duration::zero() && !timers_.empty() &&
      timers_.latest_due_by(timers_.next_deadline() + opts_.timer_slack) > now_)
    return;
  bool fired = false;
  while (timer_node* n = timers_.pop_due(now_)) {
    n->fire(n);
    fired = true;
  }
  if (fired) run_ready();
}

void event_loop::sample_lag(timer_node* n) noexcept {
  event_loop& loop = *current_loop;
  loop.metrics_.record_lag(loop.now_ - n->deadline);
  loop.add_timer(*n, std::max(n->deadline + loop.opts_.lag_interval, loop.now_));
}

void event_loop::adopt(detail::task_root& r) noexcept {
  r.prev = nullptr;
  r.next = first_root_;
  if (first_root_) first_root_->prev = &r;
  first_root_ = &r;
  ++live_roots_;
  metrics_.count_spawn();
}

void event_loop::forget(detail::task_root& r) noexcept {
  if (r.prev) r.prev->next = r.next;
  else first_root_ = r.next;
  if (r.next) r.next->prev = r.prev;
  r.prev = r.next = nullptr;
  --live_roots_;
  metrics_.count_task_end();
}

void event_loop::report_unhandled(std::exception_ptr e, const char* task_name) {
  metrics_.count_unhandled();
  if (exception_handler_) exception_handler_(e, task_name);
  else if (!unhandled_) unhandled_ = e;
}

void event_loop::cancel_all_and_drain(duration grace) {
  for (detail::task_root* r = first_root_; r; r = r->next) r->request_stop();
  time_point deadline = mono_clock::now() + grace;
  while (live_roots_ > 0) {
    duration left = deadline - mono_clock::now();
    if (left <= duration::zero()) break;
    run_once(left);
  }
}

}  // namespace barrage
