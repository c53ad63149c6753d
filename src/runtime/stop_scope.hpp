#pragma once
// Cancellation: one stop_scope per running task tree (a spawned task, or one branch of
// when_all / when_any / with_timeout). Every frame awaited inside it shares it.
//
// A stop request is delivered once, at a suspension point:
// - if the scope has child scopes (its task is waiting on a combinator), it goes to them;
// - else if a suspension point is armed (the task waits on a timer, I/O, a semaphore...),
//   that wait is aborted and the task resumes with operation_cancelled;
// - else it stays pending, and the next suspension point throws operation_cancelled at once.
// A task may catch operation_cancelled and go on: the request was consumed.
#include <exception>

namespace barrage {

/// Thrown into a task at the suspension point where its cancellation is delivered.
struct operation_cancelled : std::exception {
  const char* what() const noexcept override { return "operation cancelled"; }
};

class stop_scope {
 public:
  using abort_fn = void (*)(void* waiter) noexcept;

  explicit stop_scope(const char* name = nullptr) noexcept : name_(name) {}
  /// A child scope: receives the parent's stop requests while it lives.
  stop_scope(stop_scope* parent, const char* name) noexcept;
  ~stop_scope();
  stop_scope(const stop_scope&) = delete;
  stop_scope& operator=(const stop_scope&) = delete;

  /// Idempotent while pending or while a delivered request has not reached its task yet
  /// (cancelling twice throws once); see the header comment for where it lands.
  void request_stop() noexcept;
  bool stop_pending() const noexcept { return pending_; }
  /// Consumes a pending request: true when the caller must throw operation_cancelled.
  bool take_pending() noexcept {
    bool p = pending_;
    pending_ = false;
    return p;
  }

  /// The suspension point now waiting registers how to abort itself.
  void arm(abort_fn fn, void* waiter) noexcept {
    abort_ = fn;
    waiter_ = waiter;
  }
  /// The wait ended (its task resumes): a later request is a new one.
  void disarm() noexcept {
    abort_ = nullptr;
    delivering_ = false;
  }

  /// The name of the task that owns this tree (the root's name), or "task".
  const char* name() const noexcept;

 private:
  stop_scope* parent_ = nullptr;
  stop_scope* first_child_ = nullptr;
  stop_scope* prev_sibling_ = nullptr;
  stop_scope* next_sibling_ = nullptr;
  abort_fn abort_ = nullptr;
  void* waiter_ = nullptr;
  const char* name_;
  bool pending_ = false;
  bool delivering_ = false;  // a wait was aborted and its task has not resumed yet
};

/// The common protocol of every cancellable suspension point: call `enter` in await_suspend
/// (false: cancellation is pending, do not suspend) and `leave` in await_resume.
struct cancellable_wait {
  stop_scope* scope = nullptr;
  bool cancelled = false;

  bool enter(stop_scope* s, stop_scope::abort_fn fn, void* waiter) noexcept {
    scope = s;
    if (!s) return true;
    if (s->take_pending()) {
      cancelled = true;
      return false;
    }
    s->arm(fn, waiter);
    return true;
  }
  void leave() {
    if (scope) scope->disarm();
    if (cancelled) throw operation_cancelled{};
  }
};

}  // namespace barrage
