#pragma once
// A fixed pool of threads for blocking work (to_thread). Jobs run in submission order.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace barrage {

class thread_pool {
 public:
  explicit thread_pool(std::size_t threads);
  /// Finishes the queued jobs, then joins the threads.
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  void submit(std::function<void()> job);
  std::size_t size() const noexcept { return threads_.size(); }
  std::size_t pending() const;

  /// The process-wide pool of to_thread: as many threads as cores, at least 4
  /// (like asyncio's default executor, which uses min(32, cores + 4)).
  static thread_pool& shared();

 private:
  void work();
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace barrage
