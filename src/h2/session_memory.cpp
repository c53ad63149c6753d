#include "h2/session_memory.hpp"

#include <cstdlib>
#include <cstring>

namespace barrage::h2 {

namespace {

// Every block starts with a header that names its class (or `large`), padded so that what
// follows keeps malloc's alignment.
struct alignas(alignof(std::max_align_t)) block_header {
  std::size_t cls;
};
constexpr std::size_t large = ~std::size_t{0};

block_header* header_of(void* p) noexcept { return static_cast<block_header*>(p) - 1; }

std::size_t class_of(std::size_t size) noexcept {
  return size == 0 ? 0 : (size - 1) / session_memory::granule;
}

std::size_t usable(const block_header* h, std::size_t large_size) noexcept {
  return h->cls == large ? large_size : (h->cls + 1) * session_memory::granule;
}

}  // namespace

session_memory::session_memory() noexcept {
  mem_.mem_user_data = this;
  // nghttp2 calls these for every stream's objects: allocate and release inlined into them.
  mem_.malloc = [](std::size_t size, void* self) { return static_cast<session_memory*>(self)->take(size); };
  mem_.free = [](void* p, void* self) { static_cast<session_memory*>(self)->give_back(p); };
  mem_.calloc = [](std::size_t n, std::size_t size, void* self) -> void* {
    if (size != 0 && n > ~std::size_t{0} / size) return nullptr;
    void* p = static_cast<session_memory*>(self)->take(n * size);
    if (p != nullptr) std::memset(p, 0, n * size);
    return p;
  };
  mem_.realloc = [](void* p, std::size_t size, void* self) {
    return static_cast<session_memory*>(self)->reallocate(p, size);
  };
}

session_memory::~session_memory() {
  for (free_block*& head : free_) {
    while (head != nullptr) {
      free_block* next = head->next;
      std::free(header_of(head));
      head = next;
    }
  }
}

void* session_memory::allocate(std::size_t size) noexcept { return take(size); }
void session_memory::release(void* p) noexcept { give_back(p); }

inline void* session_memory::take(std::size_t size) noexcept {
  const std::size_t cls = class_of(size);
  if (cls < classes && free_[cls] != nullptr) {
    free_block* b = free_[cls];
    free_[cls] = b->next;
    --kept_[cls];
    ++reuses_;
    return b;
  }
  const bool pooled = cls < classes;
  auto* h = static_cast<block_header*>(std::malloc(sizeof(block_header) + (pooled ? (cls + 1) * granule : size)));
  if (h == nullptr) return nullptr;
  ++mallocs_;
  h->cls = pooled ? cls : large;
  return h + 1;
}

inline void session_memory::give_back(void* p) noexcept {
  if (p == nullptr) return;
  block_header* h = header_of(p);
  if (h->cls == large || kept_[h->cls] >= kept_per_class) {
    std::free(h);
    return;
  }
  auto* b = static_cast<free_block*>(p);
  b->next = free_[h->cls];
  free_[h->cls] = b;
  ++kept_[h->cls];
}

void* session_memory::reallocate(void* p, std::size_t size) noexcept {
  if (p == nullptr) return allocate(size);
  block_header* h = header_of(p);
  if (h->cls == large) {
    if (class_of(size) < classes) {  // shrinking into a class: keep the large block
      return p;
    }
    auto* grown = static_cast<block_header*>(std::realloc(h, sizeof(block_header) + size));
    return grown == nullptr ? nullptr : grown + 1;
  }
  if (size <= usable(h, 0)) return p;
  void* q = allocate(size);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, usable(h, 0));
  release(p);
  return q;
}

}  // namespace barrage::h2
