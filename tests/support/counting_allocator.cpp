// The global operator new/delete replacement linked into every unit-test executable: it
// counts per thread and forwards to malloc. See counting_allocator.hpp.
#include "counting_allocator.hpp"

#include <cstdlib>
#include <memory>
#include <new>
#include <thread>
#include <vector>

namespace {

// Plain integers in static TLS: reading or bumping them never allocates.
thread_local std::uint64_t tls_allocations = 0;
thread_local std::uint64_t tls_bytes = 0;

void* counted(std::size_t n) noexcept {
  ++tls_allocations;
  tls_bytes += n;
  return std::malloc(n ? n : 1);
}

void* counted_aligned(std::size_t n, std::align_val_t al) noexcept {
  ++tls_allocations;
  tls_bytes += n;
  std::size_t a = static_cast<std::size_t>(al);
  if (a < sizeof(void*)) a = sizeof(void*);
  void* p = nullptr;
  if (::posix_memalign(&p, a, n ? n : 1) != 0) return nullptr;
  return p;
}

}  // namespace

namespace barrage::test {
std::uint64_t allocations_on_this_thread() noexcept { return tls_allocations; }
std::uint64_t allocated_bytes_on_this_thread() noexcept { return tls_bytes; }
}  // namespace barrage::test

// NOLINTBEGIN(misc-new-delete-overloads)
void* operator new(std::size_t n) {
  if (void* p = counted(n)) return p;
  throw std::bad_alloc{};
}
void* operator new[](std::size_t n) {
  if (void* p = counted(n)) return p;
  throw std::bad_alloc{};
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new(std::size_t n, std::align_val_t al) {
  if (void* p = counted_aligned(n, al)) return p;
  throw std::bad_alloc{};
}
void* operator new[](std::size_t n, std::align_val_t al) {
  if (void* p = counted_aligned(n, al)) return p;
  throw std::bad_alloc{};
}
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept { return counted_aligned(n, al); }
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return counted_aligned(n, al);
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
// NOLINTEND(misc-new-delete-overloads)

