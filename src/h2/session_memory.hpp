#pragma once
// session_memory: the allocator one nghttp2 session uses (nghttp2_mem). A session allocates
// and frees the same small objects for every stream (the stream, its outbound items, HPACK
// strings): freed blocks are kept in a free list per size class and handed out again, so a
// long run's streams cost no malloc/free after the first few. Blocks above the largest class
// go to malloc. Each list keeps at most `kept_per_class` blocks (an idle connection holds
// little). Not thread-safe: one session, one thread; it must outlive the session.
#include <nghttp2/nghttp2.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace barrage::h2 {

class session_memory {
 public:
  static constexpr std::size_t granule = 16;       // class k holds blocks of (k + 1) * granule bytes
  static constexpr std::size_t classes = 32;       // up to 512 bytes
  static constexpr std::uint32_t kept_per_class = 32;

  session_memory() noexcept;
  ~session_memory();
  session_memory(const session_memory&) = delete;
  session_memory& operator=(const session_memory&) = delete;

  /// What nghttp2_session_*_new3 takes; points into this object.
  nghttp2_mem* mem() noexcept { return &mem_; }

  void* allocate(std::size_t size) noexcept;
  void release(void* p) noexcept;
  void* reallocate(void* p, std::size_t size) noexcept;

  /// Blocks taken from malloc so far, and blocks handed out again from a list (for tests).
  std::uint64_t mallocs() const noexcept { return mallocs_; }
  std::uint64_t reuses() const noexcept { return reuses_; }

 private:
  [[gnu::always_inline]] void* take(std::size_t size) noexcept;
  [[gnu::always_inline]] void give_back(void* p) noexcept;

  struct free_block {
    free_block* next;
  };
  std::array<free_block*, classes> free_{};
  std::array<std::uint32_t, classes> kept_{};
  std::uint64_t mallocs_ = 0;
  std::uint64_t reuses_ = 0;
  nghttp2_mem mem_;
};

}  // namespace barrage::h2
