#pragma once
// A bump allocator for the bytes behind a batch of events: pointers stay valid until reset(),
// which keeps the blocks for the next batch (no allocation once the blocks have grown to the
// largest batch). Not thread-safe; objects placed in it must be trivially destructible.
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace barrage::h2 {

class byte_arena {
 public:
  explicit byte_arena(std::size_t block_size = 16 * 1024) noexcept : block_size_(block_size) {}

  /// `size` bytes aligned to `align` (a power of two ≤ alignof(std::max_align_t)).
  /// Throws std::bad_alloc when memory runs out.
  void* allocate(std::size_t size, std::size_t align = 1);

  /// A copy of `bytes` that lives until reset().
  std::string_view copy(std::string_view bytes);

  /// Forgets everything allocated; the blocks are reused.
  void reset() noexcept;

  /// Bytes held in blocks (for tests and memory bounds).
  std::size_t capacity() const noexcept;
  /// Bytes handed out since the last reset(), alignment padding excluded.
  std::size_t used() const noexcept { return handed_out_; }

 private:
  struct block {
    std::unique_ptr<std::byte[]> bytes;
    std::size_t size = 0;
  };
  std::vector<block> blocks_;
  std::size_t current_ = 0;  // index of the block being filled
  std::size_t used_ = 0;     // bytes used in blocks_[current_]
  std::size_t block_size_;
  std::size_t handed_out_ = 0;
};

}  // namespace barrage::h2
