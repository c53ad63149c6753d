#pragma once
// The open model's message ids (--message-rate): each message starts with its id as
// ws_message_id_chars lower-case hexadecimal digits, and an echo server's reply carries it
// back, so that a reply finds its message whatever the order and whatever was lost before it.
#include <cstdint>
#include <optional>
#include <string_view>

#include "loadgen/ws_config.hpp"

namespace barrage::loadgen {

/// Writes `id` as ws_message_id_chars hex digits at `out`.
inline void write_message_id(char* out, std::uint64_t id) noexcept {
  constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = ws_message_id_chars; i-- > 0; id >>= 4) out[i] = digits[id & 0xf];
}

/// The id at the start of a reply; nullopt when it does not start with one.
inline std::optional<std::uint64_t> read_message_id(std::string_view reply) noexcept {
  if (reply.size() < ws_message_id_chars) return std::nullopt;
  std::uint64_t id = 0;
  for (std::size_t i = 0; i < ws_message_id_chars; ++i) {
    const char c = reply[i];
    unsigned v;
    if (c >= '0' && c <= '9') v = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') v = static_cast<unsigned>(c - 'a' + 10);
    else return std::nullopt;
    id = id << 4 | v;
  }
  return id;
}

}  // namespace barrage::loadgen
