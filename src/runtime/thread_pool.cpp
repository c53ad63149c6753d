#include "runtime/thread_pool.hpp"

#include <algorithm>

namespace barrage {

thread_pool::thread_pool(std::size_t threads) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

thread_pool::~thread_pool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void thread_pool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

std::size_t thread_pool::pending() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void thread_pool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

thread_pool& thread_pool::shared() {
  static thread_pool pool(std::max<std::size_t>(4, std::thread::hardware_concurrency()));
  return pool;
}

}  // namespace barrage
