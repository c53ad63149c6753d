#pragma once
// Cancellation: one stop_scope per running task tree (a spawned task's root scope, or a
// child_stop_scope for one branch of when_all / when_any / with_timeout). Every frame awaited
// inside it shares it.
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

class child_stop_scope;

/// A root scope: a spawned task's tree, or a standalone scope. 40 bytes: a spawned task
/// carries one, so every field here is paid a million times over by a million tasks.
class stop_scope {
 public:
  using abort_fn = void (*)(void* waiter) noexcept;

  explicit stop_scope(const char* name = nullptr) noexcept : name_(name) {}
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

  /// The name of the task that owns this tree (the nearest named scope upwards), or "task".
  const char* name() const noexcept;
  /// True for the scope of a spawned task (runtime/spawn.hpp's task_root).
  bool is_task_root() const noexcept { return kind_ == kind::task_root; }

 protected:
  enum class kind : unsigned char { root, child, task_root };
  stop_scope(kind k, const char* name) noexcept : name_(name), kind_(k) {}

 private:
  friend class child_stop_scope;
  child_stop_scope* first_child_ = nullptr;
  abort_fn abort_ = nullptr;
  void* waiter_ = nullptr;
  const char* name_;
  bool pending_ = false;
  bool delivering_ = false;  // a wait was aborted and its task has not resumed yet
  kind kind_ = kind::root;
};

/// A scope inside another one (a branch of when_all / when_any / with_timeout): it receives
/// its parent's stop requests while both live.
class child_stop_scope : public stop_scope {
 public:
  explicit child_stop_scope(stop_scope* parent, const char* name = nullptr) noexcept;
  ~child_stop_scope();

 private:
  friend class stop_scope;
  stop_scope* parent_ = nullptr;
  child_stop_scope* prev_sibling_ = nullptr;
  child_stop_scope* next_sibling_ = nullptr;
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
