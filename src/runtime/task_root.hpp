#pragma once
// What a spawned task carries besides its frame: the root of its stop-scope tree, its place
// among its loop's live tasks, and what its join_handle sees. The task's own promise keeps
// its outcome, so spawning adds this small object and no second coroutine frame (a
// suspended spawned task costs its frame plus 72 bytes here).
//
// Ownership: shared by the running task (until it finishes or its loop destroys it
// unfinished) and the join_handle (until released or detached); the last to let go frees it.
#include <coroutine>
#include <exception>

#include "runtime/frame_allocator.hpp"
#include "runtime/stop_scope.hpp"

namespace barrage::detail {

/// A task awaiting a join_handle; lives in that awaiter.
struct join_waiter {
  std::coroutine_handle<> h;
  cancellable_wait wait;
};

struct task_root : stop_scope {
  task_root(const char* name, std::coroutine_handle<> f) noexcept : stop_scope(kind::task_root, name), frame(f) {}

  // The flags come first: they fill stop_scope's tail padding.
  bool finished = false;    // ran to its end: the frame holds the outcome until released
  bool frame_gone = false;  // its loop destroyed it unfinished
  bool has_handle = true;   // a join_handle still refers to it
  bool retrieved = false;   // the outcome was taken: an exception was heard
  task_root* prev = nullptr;  // the loop's list of unfinished tasks
  task_root* next = nullptr;
  std::coroutine_handle<> frame;
  join_waiter* joiner = nullptr;

  static void* operator new(std::size_t n) { return frame_allocator::allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_allocator::deallocate(p, n); }
};

/// An exception of a spawned task that nobody will retrieve goes to the current loop's
/// handler; a cancellation is not an error anybody must hear of (asyncio agrees).
void report_lost(std::exception_ptr e, const char* task_name) noexcept;

}  // namespace barrage::detail
