#include "runtime/frame_allocator.hpp"

#include <array>
#include <new>

namespace barrage::detail {
namespace {

constexpr std::size_t class_step = frame_allocator::class_step;
constexpr std::size_t class_count = frame_allocator::largest_cached / class_step;
// Past max_cached_per_class blocks in a class, frames go back to the system: that bounds what
// an idle thread keeps after a burst of a million tasks.
constexpr std::size_t max_cached_per_class = frame_allocator::max_cached_per_class;

struct free_block {
  free_block* next;
};

struct free_lists {
  std::array<free_block*, class_count> head{};
  std::array<std::size_t, class_count> count{};
  std::size_t limit = max_cached_per_class;
  ~free_lists() {
    for (auto& h : head) {
      while (h) {
        free_block* next = h->next;
        ::operator delete(h);
        h = next;
      }
    }
  }
};

thread_local free_lists lists;

// Class c holds blocks of frame_allocator::block_size: 16(c+1) - 8 bytes.
constexpr std::size_t class_of(std::size_t bytes) { return (bytes + 8 + class_step - 1) / class_step - 1; }

}  // namespace

void* frame_allocator::allocate(std::size_t bytes) {
  std::size_t c = class_of(bytes);
  if (c >= class_count) return ::operator new(bytes);
  if (free_block* b = lists.head[c]) {
    lists.head[c] = b->next;
    --lists.count[c];
    return b;
  }
  return ::operator new(frame_allocator::block_size(bytes));
}

void frame_allocator::deallocate(void* p, std::size_t bytes) noexcept {
  std::size_t c = class_of(bytes);
  if (c >= class_count || lists.count[c] >= lists.limit) {
    ::operator delete(p);
    return;
  }
  auto* b = static_cast<free_block*>(p);
  b->next = lists.head[c];
  lists.head[c] = b;
  ++lists.count[c];
}

std::size_t frame_allocator::cached_blocks() noexcept {
  std::size_t n = 0;
  for (auto c : lists.count) n += c;
  return n;
}

std::size_t frame_allocator::release_cached(std::size_t keep_per_class) noexcept {
  std::size_t released = 0;
  for (std::size_t c = 0; c < class_count; ++c) {
    if (lists.count[c] <= keep_per_class) continue;
    free_block** link = &lists.head[c];
    for (std::size_t i = 0; i < keep_per_class; ++i) link = &(*link)->next;
    free_block* b = *link;
    *link = nullptr;
    while (b) {
      free_block* next = b->next;
      ::operator delete(b);
      b = next;
      ++released;
    }
    lists.count[c] = keep_per_class;
  }
  return released;
}

std::size_t frame_allocator::limit_cache(std::size_t per_class) noexcept {
  const std::size_t before = lists.limit;
  lists.limit = per_class < max_cached_per_class ? per_class : max_cached_per_class;
  release_cached(lists.limit);
  return before;
}

std::size_t frame_allocator::cache_limit() noexcept { return lists.limit; }

}  // namespace barrage::detail
