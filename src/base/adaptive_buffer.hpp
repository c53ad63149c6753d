#pragma once
// A read buffer that starts small and doubles when a read fills it: a connection held mostly
// idle (the long-lived WebSocket of a soak, 10,000 of them; a keep-alive HTTP/1.1 connection
// with small messages) keeps a page or less, while one whose reads come back full grows to read
// as much per call as a fixed large buffer would. Once it has grown, a run of small messages
// (at_rest) brings it back to its initial size.
#include <cstddef>
#include <cstring>
#include <memory>

namespace barrage {

class adaptive_buffer {
 public:
  /// Messages in a row that fit the initial size before a grown buffer shrinks back (at_rest).
  static constexpr unsigned quiet_rounds = 8;

  /// `initial` and `largest` in bytes, 0 < initial <= largest (both powers of two in practice).
  explicit adaptive_buffer(std::size_t initial = 2 * 1024, std::size_t largest = 64 * 1024)
      : data_(new char[initial]), size_(initial), initial_(initial), largest_(largest) {}

  char* data() noexcept { return data_.get(); }
  const char* data() const noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t initial() const noexcept { return initial_; }
  std::size_t largest() const noexcept { return largest_; }

  /// After a read of `n` bytes into the whole buffer, whose bytes were taken: a full read
  /// doubles the buffer (up to `largest`). The old buffer is freed first, so the two are never
  /// held at once.
  void after_read(std::size_t n) {
    if (n < size_ || size_ >= largest_) return;
    grow(0, 0);
  }

  /// Doubles the buffer (up to `largest`) keeping the bytes [from, to), which move to its
  /// front. False, and nothing moved, when it is already at `largest`.
  bool grow(std::size_t from, std::size_t to) {
    if (size_ >= largest_) return false;
    const std::size_t bigger = size_ * 2 > largest_ ? largest_ : size_ * 2;
    replace(bigger, from, to);
    return true;
  }

  /// Between two messages, with nothing buffered: `used` is how many bytes the last message
  /// took. A grown buffer goes back to its initial size after quiet_rounds messages in a row of
  /// at most `initial` bytes; true when it did (its bytes are gone: nothing was buffered).
  bool at_rest(std::size_t used) {
    if (size_ == initial_) return false;
    if (used > initial_) {
      quiet_ = 0;
      return false;
    }
    if (++quiet_ < quiet_rounds) return false;
    shrink();
    return true;
  }

  /// Back to the initial size now; its bytes are gone.
  void shrink() { replace(initial_, 0, 0); }

  /// Frees the memory for good: the buffer is not used after (size 0).
  void release() noexcept {
    data_.reset();
    size_ = 0;
  }

 private:
  void replace(std::size_t size, std::size_t from, std::size_t to) {
    quiet_ = 0;
    if (from == to) {
      data_.reset();  // nothing to keep: never hold the two at once
      data_.reset(new char[size]);
    } else {
      std::unique_ptr<char[]> b(new char[size]);
      std::memcpy(b.get(), data_.get() + from, to - from);
      data_ = std::move(b);
    }
    size_ = size;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_;
  std::size_t initial_;
  std::size_t largest_;
  unsigned quiet_ = 0;
};

}  // namespace barrage
