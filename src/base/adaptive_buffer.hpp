#pragma once
// A read buffer that starts small and doubles when a read fills it: a connection held mostly
// idle (the long-lived WebSocket of a soak, 10,000 of them) keeps a page or less, while one whose
// reads come back full grows to read as much per call as a fixed large buffer would.
#include <cstddef>
#include <memory>

namespace barrage {

class adaptive_buffer {
 public:
  /// `initial` and `largest` in bytes, initial <= largest (both powers of two in practice).
  explicit adaptive_buffer(std::size_t initial = 2 * 1024, std::size_t largest = 64 * 1024)
      : data_(new char[initial]), size_(initial), largest_(largest) {}

  char* data() noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }

  /// After a read of `n` bytes whose bytes were taken: a full read doubles the buffer (up to
  /// `largest`). The old buffer is freed first, so the two are never held at once.
  void after_read(std::size_t n) {
    if (n < size_ || size_ >= largest_) return;
    data_.reset();
    size_ = size_ * 2 > largest_ ? largest_ : size_ * 2;
    data_.reset(new char[size_]);
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_;
  std::size_t largest_;
};

}  // namespace barrage
