#include "http/field_lines.hpp"

#include "http/char_class.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace barrage::http::detail {

namespace {

// Why the field name stopped at *p instead of a colon.
parse_error name_error(const char* p) {
  if (is_ows(*p)) return parse_error::space_before_colon;
  if (*p == '\r') return p[1] == '\n' ? parse_error::missing_colon : parse_error::bare_cr;
  return classify_byte(p, parse_error::bad_header_name);
}

// Advances over field-value bytes; stops at the first byte that is not one (a CR at the
// latest). Sixteen bytes at a time while they lie before `end`: a block passes when no byte
// is below 0x20 or equal to DEL (HTAB stops the block; the byte loop then takes it).
const char* skip_field_chars(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i printable = _mm_cmpeq_epi8(_mm_max_epu8(block, space), block);
    const __m128i ok = _mm_andnot_si128(_mm_cmpeq_epi8(block, del), printable);
    const unsigned bad = ~static_cast<unsigned>(_mm_movemask_epi8(ok)) & 0xffffu;
    if (bad != 0) {
      p += __builtin_ctz(bad);
      if (*p != '\t') return p;
      ++p;
      continue;
    }
    p += 16;
  }
#else
  (void)end;
#endif
  for (;;) {
    if (!is_field_char(p[0])) return p;
    if (!is_field_char(p[1])) return p + 1;
    if (!is_field_char(p[2])) return p + 2;
    if (!is_field_char(p[3])) return p + 3;
    p += 4;
  }
}

// Four bytes per test while all are token characters (one branch per group, not per byte).
// A group may read up to three bytes past the first non-token byte: every line here ends in
// CRLF (the head scanner checked) and the head in one more CRLF, so those bytes are the head's.
const char* skip_token_chars(const char* p) {
  for (;;) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    if (!(char_table[u[0]] & char_table[u[1]] & char_table[u[2]] & char_table[u[3]] & token_bit)) break;
    p += 4;
  }
  while (is_token_char(*p)) ++p;
  return p;
}

}  // namespace

field_lines_result parse_field_lines(const char* begin, const char* end,
                                     std::span<header> out) noexcept {
  field_lines_result r;
  const char* p = begin;
  while (p < end) {
    if (is_ows(*p))
      return {r.count == 0 ? parse_error::space_after_start_line : parse_error::obs_fold, r.count};
    const char* name = p;
    p = skip_token_chars(p);
    if (*p != ':') return {name_error(p), r.count};
    if (p == name) return {parse_error::bad_header_name, r.count};
    const char* name_end = p++;
    while (is_ows(*p)) ++p;
    const char* value = p;
    p = skip_field_chars(p, end);
    if (*p != '\r' || p[1] != '\n') return {classify_byte(p, parse_error::bad_header_value), r.count};
    const char* value_end = p;
    while (value_end > value && is_ows(value_end[-1])) --value_end;
    if (r.count == out.size()) return {parse_error::too_many_headers, r.count};
    out[r.count++] = {{name, static_cast<std::size_t>(name_end - name)},
                      {value, static_cast<std::size_t>(value_end - value)}};
    p += 2;
  }
  return r;
}

}  // namespace barrage::http::detail
