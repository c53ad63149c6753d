#include "runtime/stop_scope.hpp"

namespace barrage {

stop_scope::~stop_scope() {
  for (child_stop_scope* c = first_child_; c; c = c->next_sibling_) c->parent_ = nullptr;
}

child_stop_scope::child_stop_scope(stop_scope* parent, const char* name) noexcept
    : stop_scope(kind::child, name), parent_(parent) {
  if (!parent_) return;
  next_sibling_ = parent_->first_child_;
  if (next_sibling_) next_sibling_->prev_sibling_ = this;
  parent_->first_child_ = this;
}

child_stop_scope::~child_stop_scope() {
  if (!parent_) return;
  if (prev_sibling_) prev_sibling_->next_sibling_ = next_sibling_;
  else parent_->first_child_ = next_sibling_;
  if (next_sibling_) next_sibling_->prev_sibling_ = prev_sibling_;
}

void stop_scope::request_stop() noexcept {
  if (first_child_) {
    for (child_stop_scope* c = first_child_; c; c = c->next_sibling_) c->request_stop();
    return;
  }
  if (abort_) {
    abort_fn fn = abort_;
    abort_ = nullptr;
    delivering_ = true;
    fn(waiter_);
    return;
  }
  if (delivering_) return;  // the task is already on its way out of an aborted wait
  pending_ = true;
}

const char* stop_scope::name() const noexcept {
  for (const stop_scope* s = this; s;) {
    if (s->name_) return s->name_;
    s = s->kind_ == kind::child ? static_cast<const child_stop_scope*>(s)->parent_ : nullptr;
  }
  return "task";
}

}  // namespace barrage
