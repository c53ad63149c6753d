#pragma once
// Pass 2 of head parsing: splits a complete field section into header views and validates
// every byte (RFC 9110 §5, RFC 9112 §5). Internal to the http layer.
#include <cstddef>
#include <span>

#include "http/message.hpp"
#include "http/parse_error.hpp"

namespace barrage::http::detail {

struct field_lines_result {
  parse_error error = parse_error::none;
  std::size_t count = 0;  // fields stored in `out`
};

/// Parses the field lines in [begin, end). Precondition (established by head_scanner): the
/// range is a sequence of lines each ending in CRLF, so every scan stops at a CR without a
/// bounds check. Stores at most out.size() fields; one more is too_many_headers.
field_lines_result parse_field_lines(const char* begin, const char* end,
                                     std::span<header> out) noexcept;

/// The error for an unexpected byte: NUL and bare CR have their own kinds.
inline parse_error classify_byte(const char* p, parse_error otherwise) noexcept {
  if (*p == '\0') return parse_error::nul_byte;
  if (*p == '\r' && p[1] != '\n') return parse_error::bare_cr;
  return otherwise;
}

}  // namespace barrage::http::detail
