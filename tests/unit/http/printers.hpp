#pragma once
// Test support: GoogleTest printers for the codec's enums, so failures read
// "bad_content_length" instead of a byte value.
#include <ostream>

#include "http/body_step.hpp"
#include "http/message.hpp"
#include "http/parse_error.hpp"

namespace barrage::http {

inline void PrintTo(parse_error e, std::ostream* os) { *os << to_string(e); }

inline void PrintTo(parse_state s, std::ostream* os) {
  *os << (s == parse_state::complete ? "complete" : s == parse_state::error ? "error" : "incomplete");
}

inline void PrintTo(body_kind k, std::ostream* os) {
  constexpr const char* names[] = {"none", "content_length", "chunked", "until_close"};
  *os << names[static_cast<int>(k)];
}

inline void PrintTo(body_state s, std::ostream* os) {
  constexpr const char* names[] = {"in_progress", "done", "error"};
  *os << names[static_cast<int>(s)];
}

inline void PrintTo(const parse_status& s, std::ostream* os) {
  PrintTo(s.state, os);
  if (s.is_error()) *os << "(" << to_string(s.error) << ")";
  if (s.complete()) *os << "(" << s.consumed << " bytes)";
}

}  // namespace barrage::http
