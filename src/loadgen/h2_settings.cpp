#include "loadgen/h2_settings.hpp"

#include "base/units.hpp"
#include "h2/settings.hpp"

namespace barrage::loadgen {
namespace {

result<std::uint32_t, std::string> window_in(std::string_view text, std::uint64_t lo) {
  auto n = parse_size(text);
  if (!n) return fail(n.error());
  if (*n < lo || *n > h2::max_window)
    return fail("bad window \"" + std::string(text) + "\": must be between " + std::to_string(lo) +
                " and 2147483647 bytes (2^31-1)");
  return static_cast<std::uint32_t>(*n);
}

}  // namespace

result<std::uint32_t, std::string> parse_h2_stream_window(std::string_view text) { return window_in(text, 0); }
result<std::uint32_t, std::string> parse_h2_connection_window(std::string_view text) {
  return window_in(text, h2::default_window);
}

}  // namespace barrage::loadgen
