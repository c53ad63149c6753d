#pragma once
// The one clock of barrage: monotonic, nanosecond resolution.
#include <chrono>
#include <cstdint>

namespace barrage {

using mono_clock = std::chrono::steady_clock;
using time_point = mono_clock::time_point;
using duration = mono_clock::duration;
using namespace std::chrono_literals;

inline time_point now() noexcept { return mono_clock::now(); }

inline std::int64_t to_ns(duration d) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}
inline double to_seconds(duration d) noexcept { return std::chrono::duration<double>(d).count(); }

}  // namespace barrage
