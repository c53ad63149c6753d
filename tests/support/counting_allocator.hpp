#pragma once
// Counts heap allocations made through the global operator new, per thread.
//
// The replacement operators are defined in counting_allocator.cpp, linked into every unit-test
// executable; any test may include this header to read the counter:
//
//   auto before = barrage::test::allocations_on_this_thread();
//   ... steady-state work ...
//   EXPECT_EQ(barrage::test::allocations_on_this_thread() - before, 0u);
#include <cstdint>

namespace barrage::test {

/// operator new calls (every form: sized, array, aligned, nothrow) made by this thread.
std::uint64_t allocations_on_this_thread() noexcept;
/// Bytes requested by those calls.
std::uint64_t allocated_bytes_on_this_thread() noexcept;

/// Counts the allocations made by this thread while it lives.
class allocation_counter {
 public:
  allocation_counter() noexcept : start_(allocations_on_this_thread()) {}
  std::uint64_t count() const noexcept { return allocations_on_this_thread() - start_; }

 private:
  std::uint64_t start_;
};

}  // namespace barrage::test
