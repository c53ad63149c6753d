#pragma once
// --h2-window and --h2-connection-window: the receive windows the generator's HTTP/2
// connections announce (RFC 9113 §6.9). Larger windows let a server send more of a response
// before the generator returns window; the generator returns it as bytes arrive.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace barrage::loadgen {

struct h2_settings {
  /// SETTINGS_INITIAL_WINDOW_SIZE: what each stream may receive ahead, 0..2^31-1. 1 MiB.
  std::uint32_t stream_window = 1u << 20;
  /// The connection's window (WINDOW_UPDATE on stream 0), 65535..2^31-1. 16 MiB.
  std::uint32_t connection_window = 16u << 20;
};

/// --h2-window: a size (base/units.hpp: "65535", "64KiB", "1MiB"), 0 to 2^31-1 bytes.
result<std::uint32_t, std::string> parse_h2_stream_window(std::string_view text);
/// --h2-connection-window: a size, 65535 to 2^31-1 bytes.
result<std::uint32_t, std::string> parse_h2_connection_window(std::string_view text);

}  // namespace barrage::loadgen
