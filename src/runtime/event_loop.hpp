#pragma once
// event_loop: one per thread. One turn reads top to bottom:
//   1. nearest timer  -> how long the backend may wait
//   2. wait           -> the backend polls; the clock is read once
//   3. complete I/O   -> finished operations make their tasks ready
//   4. run ready tasks (those ready when the phase began; later ones wait a turn)
//   5. fire timers    -> due timers make their tasks ready, and those run
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "base/clock.hpp"
#include "runtime/backend_choice.hpp"
#include "runtime/io_backend.hpp"
#include "runtime/loop_metrics.hpp"
#include "runtime/stop_scope.hpp"
#include "runtime/task.hpp"
#include "runtime/timer_queue.hpp"

namespace barrage {

namespace detail {
struct task_root;
}  // namespace detail

class event_loop final : private io_sink {
 public:
  struct options {
    bool monitor_lag = true;
    duration lag_interval = std::chrono::milliseconds(10);
    duration slow_step_threshold = std::chrono::milliseconds(20);
    io_backend_kind backend = io_backend_kind::automatic;  // when none is passed in
    /// Timers due within `timer_slack` of the earliest one are served by one wake-up, at the
    /// latest of their deadlines: no timer fires early, none more than the slack late, and a
    /// timer with no other due within the slack fires on time. A turn that I/O or a task
    /// brings before a batch's wake-up point fires none of the batch, even its due timers.
    /// Zero: every deadline wakes the loop on its own. For loops with many close timers (an
    /// open-model schedule) where a wake-up costs more than the slack's lateness.
    duration timer_slack = duration::zero();
    /// With a slack: when the next timer batch is due within twice the slack, the loop
    /// sleeps until its wake-up point without watching I/O, then polls without waiting, so
    /// that what I/O finished meanwhile is handled in the batch's turn rather than in turns
    /// of its own. Timers keep their contract; I/O and foreign wake-ups are seen up to twice
    /// the slack late. For open-model loops that take each response's time from the kernel's
    /// receive stamp (net::transport::enable_receive_stamps), not from the turn's clock.
    bool hold_io = false;
  };
  using slow_step_hook = std::function<void(const char* task_name, duration held)>;
  using exception_handler = std::function<void(std::exception_ptr, const char* task_name)>;

  event_loop();
  explicit event_loop(options opts, std::unique_ptr<io_backend> backend = nullptr);
  /// Frames of tasks that never finished are destroyed here, with what they captured.
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  /// The loop of the calling thread. Throws std::logic_error when it has none.
  static event_loop& current();
  static event_loop* current_or_null() noexcept;

  /// Runs t to completion as a spawned task named "main", then cancels the tasks it left
  /// behind, gives them a short grace to finish, and returns t's value or rethrows its
  /// exception. An exception of a task nobody joined is rethrown here when no handler is
  /// set. Defined in runtime/spawn.hpp.
  template <class T>
  T run(task<T> t);

  /// One turn. max_wait caps how long it may block (negative: no cap).
  void run_once(duration max_wait = duration(-1));
  time_point now() const noexcept { return now_; }

  /// Loop thread only.
  void schedule(std::coroutine_handle<> h, stop_scope* scope = nullptr);
  /// Any thread: fn runs on the loop's thread during a coming turn.
  void call_soon_threadsafe(std::function<void()> fn);

  void add_timer(timer_node& n, time_point deadline) {
    n.deadline = deadline;
    timers_.insert(n);
  }
  void cancel_timer(timer_node& n) noexcept { timers_.cancel(n); }
  io_backend& backend() noexcept { return *backend_; }

  const loop_metrics& metrics() const noexcept { return metrics_; }
  loop_metrics& metrics() noexcept { return metrics_; }
  void set_slow_step_hook(slow_step_hook h) { slow_hook_ = std::move(h); }
  void set_exception_handler(exception_handler h) { exception_handler_ = std::move(h); }
  const options& config() const noexcept { return opts_; }
  /// Turns options::hold_io on or off from the next turn (e.g. off while connects are pending,
  /// whose completion the caller times by the clock).
  void set_hold_io(bool on) noexcept { opts_.hold_io = on; }

  // For spawn.hpp: the loop keeps every unfinished spawned task.
  void adopt(detail::task_root& r) noexcept;
  void forget(detail::task_root& r) noexcept;
  void report_unhandled(std::exception_ptr e, const char* task_name);
  std::size_t live_tasks() const noexcept { return live_roots_; }
  /// Cancels every live task and runs turns (at most `grace`) while any remain.
  void cancel_all_and_drain(duration grace);
  std::exception_ptr take_unhandled() noexcept { return std::exchange(unhandled_, nullptr); }

 private:
  struct ready_entry {
    std::coroutine_handle<> h;
    stop_scope* scope;
  };
  /// A ring buffer that grows to the high-water mark and never shrinks.
  class ready_ring {
   public:
    bool empty() const noexcept { return head_ == tail_; }
    std::size_t size() const noexcept { return tail_ - head_; }
    void push(ready_entry e);
    ready_entry pop() noexcept { return buf_[head_++ & mask_]; }

   private:
    std::vector<ready_entry> buf_ = std::vector<ready_entry>(256);
    std::size_t mask_ = 255, head_ = 0, tail_ = 0;
  };

  void io_done(io_op& op) noexcept override {
    if (op.scope) op.scope->disarm();  // a later stop request stays pending: no second resume
    schedule(op.waiter, op.scope);
  }
  void woken() noexcept override;
  void run_ready();
  void fire_timers();
  /// hold_io: sleeps until `wake` (the next timer batch's point) without watching I/O.
  static void hold_until(time_point wake) noexcept;
  static void sample_lag(timer_node* n) noexcept;

  static constexpr unsigned steps_between_polls = 32;
  unsigned steps_since_poll_ = 0;
  options opts_;
  std::unique_ptr<io_backend> backend_;
  timer_queue timers_;
  ready_ring ready_;
  time_point now_;
  time_point step_start_;  // coarse clock, for slow-step detection
  time_point busy_since_;  // coarse clock: when the loop came back from its last wait
  loop_metrics metrics_;
  timer_node lag_timer_;
  slow_step_hook slow_hook_;
  exception_handler exception_handler_;
  std::exception_ptr unhandled_;
  detail::task_root* first_root_ = nullptr;  // the unfinished spawned tasks, doubly linked
  std::size_t live_roots_ = 0;
  std::mutex foreign_mutex_;
  std::vector<std::function<void()>> foreign_, foreign_swap_;
  event_loop* previous_ = nullptr;
};

}  // namespace barrage
