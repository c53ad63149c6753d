// The global operator new/delete replacement of unit_runtime (defined here, once per test
// executable) and tests of the counter itself. See tests/support/counting_allocator.hpp.
#include "counting_allocator.hpp"

#include <gtest/gtest.h>

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

using barrage::test::allocation_counter;
using barrage::test::allocations_on_this_thread;

TEST(counting_allocator, counts_every_operator_new_on_this_thread) {
  allocation_counter c;
  auto a = std::make_unique<int>(1);
  auto b = std::make_unique<int[]>(8);
  std::vector<int> v(100);
  EXPECT_EQ(c.count(), 3u);
}

TEST(counting_allocator, counts_aligned_and_nothrow_forms) {
  struct alignas(64) wide {
    char bytes[64];
  };
  allocation_counter c;
  auto w = std::make_unique<wide>();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(w.get()) % 64, 0u);
  int* p = new (std::nothrow) int(3);
  delete p;
  EXPECT_EQ(c.count(), 2u);
}

TEST(counting_allocator, does_not_count_allocations_of_other_threads) {
  allocation_counter c;
  std::uint64_t theirs = 0;
  std::thread t([&] {
    allocation_counter mine;
    auto v = std::make_unique<std::vector<int>>(10);
    theirs = mine.count();
  });
  t.join();
  EXPECT_EQ(theirs, 2u);
  // std::thread allocates its state on the starting thread: at most that one.
  EXPECT_LE(c.count(), 1u);
}
