#pragma once
// Chunked transfer coding decoder (RFC 9112 §7.1): a pure state machine fed byte spans of any
// size, down to one byte. Chunk data comes back as views into the input, so the caller can
// keep or just count it. Strict: the chunk size is 1*HEXDIG with no sign, prefix or spaces;
// extensions follow the ABNF without whitespace and are bounded; chunk data must be followed
// by CRLF (a runaway chunk is an error); trailer fields are validated like header fields
// (and framing, routing or auth fields are refused, RFC 9110 §6.5.1), then discarded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/body_step.hpp"

namespace barrage::http {

struct chunked_limits {
  std::size_t max_chunk_line = 4 * 1024;     // chunk size + extensions, without CRLF
  std::size_t max_trailer_bytes = 16 * 1024; // trailer section, final CRLF included
};

class chunked_decoder {
 public:
  explicit chunked_decoder(chunked_limits limits = {}) noexcept : limits_(limits) {}

  /// Consumes `in` up to the end of the next run of chunk data (returned in `data`), the end
  /// of the message, an error, or the end of the input, whichever comes first. Call again
  /// with the unconsumed rest. After done or error, consumes nothing.
  body_step feed(std::string_view in) noexcept;

  body_state state() const noexcept;
  parse_error error() const noexcept { return error_; }

 private:
  enum class st : std::uint8_t;
  bool step(char c) noexcept;  // one framing byte; false on error (error_ set)
  bool fail(parse_error e) noexcept;
  bool chunk_line_byte(char c) noexcept;
  bool extension_byte(char c) noexcept;
  bool trailer_byte(char c) noexcept;
  bool trailer_name_end() noexcept;

  chunked_limits limits_;
  st state_{};
  parse_error error_ = parse_error::none;
  std::uint64_t size_ = 0;       // chunk size being read, then data bytes left in the chunk
  std::size_t line_len_ = 0;     // bytes of the current chunk-size line
  std::size_t trailer_len_ = 0;  // bytes of the trailer section so far
  bool trailer_lines_ = false;   // a trailer field line was seen (for obs-fold)
  // Lower-cased start of the current trailer field name, to refuse forbidden fields.
  static constexpr std::size_t name_cap = 24;
  char name_[name_cap] = {};
  std::size_t name_len_ = 0;
};

}  // namespace barrage::http
