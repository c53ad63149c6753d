#include "h2/byte_arena.hpp"

#include <algorithm>
#include <cstring>

namespace barrage::h2 {

void* byte_arena::allocate(std::size_t size, std::size_t align) {
  handed_out_ += size;
  for (; current_ < blocks_.size(); ++current_, used_ = 0) {
    const std::size_t start = (used_ + align - 1) & ~(align - 1);
    if (start + size <= blocks_[current_].size) {
      used_ = start + size;
      return blocks_[current_].bytes.get() + start;
    }
  }
  // None of the remaining blocks fits: a new one, at least as large as the request. It goes
  // last, so the blocks skipped above are reused after the next reset().
  const std::size_t n = std::max(block_size_, size);
  blocks_.push_back(block{std::unique_ptr<std::byte[]>(new std::byte[n]), n});  // uninitialised
  current_ = blocks_.size() - 1;
  used_ = size;
  return blocks_.back().bytes.get();
}

std::string_view byte_arena::copy(std::string_view bytes) {
  if (bytes.empty()) return {};
  auto* p = static_cast<char*>(allocate(bytes.size()));
  std::memcpy(p, bytes.data(), bytes.size());
  return {p, bytes.size()};
}

void byte_arena::reset() noexcept {
  handed_out_ = 0;
  current_ = 0;
  used_ = 0;
}

std::size_t byte_arena::capacity() const noexcept {
  std::size_t n = 0;
  for (const block& b : blocks_) n += b.size;
  return n;
}

}  // namespace barrage::h2
