#pragma once
// Test support: places bytes so that the last one sits right before an inaccessible page.
// Any read past the end of the input faults at once, in every build (no sanitizer needed).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace barrage::http::test {

class guard_page {
 public:
  /// Room for inputs of up to `capacity` bytes.
  explicit guard_page(std::size_t capacity = 256 * 1024) {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    data_pages_ = (capacity + page - 1) / page * page;
    size_ = data_pages_ + page;
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("guard_page: mmap failed");
    base_ = static_cast<char*>(p);
    if (mprotect(base_ + data_pages_, page, PROT_NONE) != 0) {
      munmap(base_, size_);
      throw std::runtime_error("guard_page: mprotect failed");
    }
  }
  guard_page(const guard_page&) = delete;
  guard_page& operator=(const guard_page&) = delete;
  ~guard_page() { munmap(base_, size_); }

  /// Copies `bytes` to end exactly at the guard page and returns the copy. The previous copy
  /// is overwritten (views into it go stale).
  std::string_view place(std::string_view bytes) {
    if (bytes.size() > data_pages_) throw std::length_error("guard_page: input too large");
    char* dst = base_ + data_pages_ - bytes.size();
    if (!bytes.empty()) std::memcpy(dst, bytes.data(), bytes.size());
    return {dst, bytes.size()};
  }

 private:
  char* base_ = nullptr;
  std::size_t data_pages_ = 0;
  std::size_t size_ = 0;
};

}  // namespace barrage::http::test
