#pragma once
// A per-thread recycling allocator for coroutine frames.
//
// Frames are carved by size class (16-byte steps up to 2 KiB, each 8 bytes short of a step so
// that malloc's chunk header fits in the step) and returned to a per-thread
// free list, so a steady state of task creation and completion costs no malloc. A frame freed
// on another thread goes to that thread's list: blocks are plain operator-new memory, so any
// thread may release them. Larger frames go straight to operator new.
#include <cstddef>

namespace barrage::detail {

struct frame_allocator {
  static constexpr std::size_t class_step = 16;  // malloc's own granularity
  static constexpr std::size_t largest_cached = 2048;
  static constexpr std::size_t max_cached_per_class = 16384;
  /// The block a request of `bytes` (at most largest_cached - 8) gets: 16k - 8 bytes, since
  /// glibc's chunk for a request of n is n + 8 rounded up to 16 (a 128-byte block would cost
  /// a 144-byte chunk, a 120-byte one costs 128).
  static constexpr std::size_t block_size(std::size_t bytes) noexcept {
    return ((bytes + 8 + class_step - 1) / class_step) * class_step - 8;
  }
  static void* allocate(std::size_t bytes);
  static void deallocate(void* p, std::size_t bytes) noexcept;
  /// Blocks currently cached on this thread (for tests and metrics).
  static std::size_t cached_blocks() noexcept;
  /// Gives this thread's cached blocks beyond `keep_per_class` in each class back to the
  /// allocator (the most recently freed stay cached); returns how many went back. For a thread
  /// whose burst of tasks is over: a cached block is in use as far as malloc knows, and
  /// blocks scattered over the heap keep its pages resident.
  static std::size_t release_cached(std::size_t keep_per_class) noexcept;
  /// At most `per_class` blocks of each class stay cached on this thread from now on (at most
  /// max_cached_per_class); blocks freed beyond it go back to the allocator at once, and
  /// blocks already cached beyond it go back now. Returns the limit it replaces.
  /// For a thread whose tasks are long-lived and made in one burst (a load generator's
  /// connections: their connect-time frames, freed as each connection opens, then make room in
  /// the heap for what the connection allocates next instead of staying cached). A steady
  /// state that frees and makes frames one for one needs only a few per class.
  static std::size_t limit_cache(std::size_t per_class) noexcept;
  /// This thread's limit (max_cached_per_class unless limit_cache changed it).
  static std::size_t cache_limit() noexcept;
};

/// limit_cache for a scope: the previous limit is restored when it ends.
class frame_cache_limit {
 public:
  explicit frame_cache_limit(std::size_t per_class) noexcept : before_(frame_allocator::limit_cache(per_class)) {}
  frame_cache_limit(const frame_cache_limit&) = delete;
  frame_cache_limit& operator=(const frame_cache_limit&) = delete;
  ~frame_cache_limit() { frame_allocator::limit_cache(before_); }

 private:
  std::size_t before_;
};

}  // namespace barrage::detail
