#include "http/head_scanner.hpp"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace barrage::http::detail {

namespace {

// The offset of the first LF in [from, to), or `to`; never reads outside [from, to). Lines
// are short: an inlined 16-byte compare rather than a call to memchr per line, and per line
// rather than a whole-block CRLFCRLF search (docs/performance.md has the comparison).
std::size_t find_lf(const char* base, std::size_t from, std::size_t to) {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  for (; from + 16 <= to; from += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + from));
    const int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(block, lf));
    if (mask != 0) return from + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  const void* hit = std::memchr(base + from, '\n', to - from);
  return hit == nullptr ? to : static_cast<std::size_t>(static_cast<const char*>(hit) - base);
}

head_scanner::step error_step(parse_error e) { return {head_scanner::event::error, e, 0, 0}; }

}  // namespace

// The start-line limit is checked on the raw bytes before the LF (at most limit + 1 with the
// CR), both when the LF is found and while it is missing, so that every split of the input
// gives the same verdict. Likewise only the first max_head_bytes are ever looked at.
head_scanner::step head_scanner::scan(std::string_view data, const head_limits& limits) noexcept {
  const std::size_t limit_end = std::min(data.size(), head_start_ + limits.max_head_bytes);
  const char* base = data.data();
  while (pos_ < limit_end) {
    const std::size_t lf = find_lf(base, pos_, limit_end);
    if (lf == limit_end) {
      pos_ = limit_end;
      break;
    }
    const std::size_t line_start = line_start_;
    pos_ = line_start_ = lf + 1;
    if (!start_line_seen_ && lf - line_start > limits.max_start_line + 1)
      return error_step(parse_error::start_line_too_long);
    if (lf == line_start || base[lf - 1] != '\r') return error_step(parse_error::bare_lf);
    if (!start_line_seen_) {
      start_line_seen_ = true;
      return {event::start_line, parse_error::none, line_start, lf - 1};
    }
    if (lf - 1 == line_start) return {event::end_of_head, parse_error::none, 0, lf + 1};
  }
  if (!start_line_seen_ && pos_ - line_start_ > limits.max_start_line + 1)
    return error_step(parse_error::start_line_too_long);
  if (pos_ - head_start_ >= limits.max_head_bytes) return error_step(parse_error::head_too_large);
  return {};
}

}  // namespace barrage::http::detail
