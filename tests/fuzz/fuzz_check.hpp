#pragma once
// Shared by the harnesses: an invariant that does not hold is a crash libFuzzer reports.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                     \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

namespace barrage::http::fuzz {

/// Whether `part` lies within `whole` (views must never point outside the input).
inline bool within(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() &&
                          part.data() + part.size() <= whole.data() + whole.size());
}

/// A split position chosen by the input's first byte, so the fuzzer explores it too.
inline std::size_t split_point(unsigned char control, std::size_t size) {
  return size == 0 ? 0 : control * size / 255;
}

}  // namespace barrage::http::fuzz
