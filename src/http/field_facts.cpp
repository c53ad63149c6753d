#include "http/field_facts.hpp"

#include <cstdint>
#include <cstring>
#include <limits>

#include "http/char_class.hpp"

namespace barrage::http::detail {

namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// At most one SP between the colon and the value, nothing between the value and the CR.
bool plainly_spaced(const header& h) {
  const char* v = h.value.data();
  const char* q = v;
  while (is_ows(q[-1])) --q;
  const bool lead_ok = v == q || (v - q == 1 && q[0] == ' ');
  return lead_ok && v[h.value.size()] == '\r';
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// "5, 5" and "5, 10" are lists of several values: duplicates; anything else with a comma is
// malformed.
parse_error comma_list_error(std::string_view value) {
  while (true) {
    const std::size_t comma = value.find(',');
    if (!all_digits(trim_ows(value.substr(0, comma)))) return parse_error::bad_content_length;
    if (comma == std::string_view::npos) return parse_error::duplicate_content_length;
    value.remove_prefix(comma + 1);
  }
}

void add_content_length(const header& h, bool strict, field_facts& f) {
  if (f.has_content_length) {
    f.error = parse_error::duplicate_content_length;
    return;
  }
  f.has_content_length = true;
  if (strict && !plainly_spaced(h)) {
    f.error = parse_error::bad_content_length;
    return;
  }
  f.error = parse_content_length(h.value, strict, f.content_length);
}

// transfer-coding list (RFC 9112 §6.1), several field lines concatenate. Strict beyond the
// ABNF: no empty elements and no parameters (chunked takes none; we decode no other coding).
void add_transfer_encoding(const header& h, bool strict, field_facts& f) {
  f.has_transfer_encoding = true;
  if (strict && !plainly_spaced(h)) {
    f.error = parse_error::bad_transfer_encoding;
    return;
  }
  std::string_view rest = h.value;
  do {
    const std::size_t comma = rest.find(',');
    const std::string_view coding = trim_ows(rest.substr(0, comma));
    if (!is_token(coding)) {
      f.error = parse_error::bad_transfer_encoding;
      return;
    }
    const bool chunked = iequals(coding, "chunked");
    if (chunked && f.chunked_seen) {
      f.error = parse_error::bad_transfer_encoding;  // applied twice (RFC 9112 §6.1)
      return;
    }
    f.chunked_seen |= chunked;
    f.other_coding |= !chunked;
    f.chunked_final = chunked;
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty()) {
      f.error = parse_error::bad_transfer_encoding;  // trailing comma
      return;
    }
  } while (!rest.empty());
}

std::uint64_t load_word(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// equals_lower_name for names of 8 to 16 bytes in two (overlapping) 8-byte compares, the
// others byte by byte. The same mapping: OR 0x20 per byte.
bool same_lower_name(std::string_view token, std::string_view lower) {
  const std::size_t n = token.size();
  if (n != lower.size()) return false;
  if (n < 8 || n > 16) return equals_lower_name(token, lower);
  constexpr std::uint64_t case_bits = 0x2020202020202020u;
  return (load_word(token.data()) | case_bits) == load_word(lower.data()) &&
         (load_word(token.data() + n - 8) | case_bits) == load_word(lower.data() + n - 8);
}

// Connection options (RFC 9110 §7.6.1): only "close" and "keep-alive" matter here.
void add_connection(std::string_view value, field_facts& f) {
  if (same_lower_name(value, "keep-alive")) {  // the common single options, without the split
    f.connection_keep_alive = true;
    return;
  }
  if (equals_lower_name(value, "close")) {
    f.connection_close = true;
    return;
  }
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size() && value[i] != ',') continue;
    const std::string_view option = trim_ows(value.substr(begin, i - begin));
    f.connection_close |= equals_lower_name(option, "close");
    f.connection_keep_alive |= equals_lower_name(option, "keep-alive");
    begin = i + 1;
  }
}

enum class name_match : std::uint8_t { other, exact, lookalike };

// Compares a name with a lower-case framing field name. "Content_Length" and
// "Transfer_Encoding" are legal names, but some servers and proxies fold '_' into '-': a
// message carrying them can be framed two ways, so they are told apart (lookalike).
name_match match_framing_name(std::string_view name, std::string_view lower) {
  if (same_lower_name(name, lower)) return name_match::exact;  // no '_': '_' | 0x20 is DEL
  bool underscore = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    underscore |= name[i] == '_';
    if ((name[i] == '_' ? '-' : (name[i] | 0x20)) != lower[i]) return name_match::other;
  }
  return underscore ? name_match::lookalike : name_match::exact;
}

void add_field(const header& h, bool strict, field_facts& f) {
  switch (h.name.size()) {
    case 4:
      if (equals_lower_name(h.name, "host") && f.host_count++ == 0) f.host = h.value;
      return;
    case 10:
      if (same_lower_name(h.name, "connection")) add_connection(h.value, f);
      return;
    case 14:
    case 17: {
      const bool cl = h.name.size() == 14;
      const name_match m = match_framing_name(h.name, cl ? "content-length" : "transfer-encoding");
      if (m == name_match::lookalike) f.error = parse_error::bad_header_name;
      if (m != name_match::exact) return;
      if (cl)
        add_content_length(h, strict, f);
      else
        add_transfer_encoding(h, strict, f);
      return;
    }
    default:
      return;
  }
}

}  // namespace

parse_error parse_content_length(std::string_view value, bool strict, std::uint64_t& out) noexcept {
  if (!all_digits(value)) {
    return value.find(',') != std::string_view::npos ? comma_list_error(value)
                                                     : parse_error::bad_content_length;
  }
  if (strict && value.size() > 1 && value[0] == '0') return parse_error::bad_content_length;
  if (value.size() <= 19) {  // below 10^19 < 2^64: no overflow to check
    std::uint64_t n = 0;
    for (char c : value) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    out = n;
    return parse_error::none;
  }
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t n = 0;
  for (char c : value) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (max - d) / 10) return parse_error::content_length_overflow;
    n = n * 10 + d;
  }
  out = n;
  return parse_error::none;
}

field_facts collect_field_facts(std::span<const header> headers, bool strict) noexcept {
  field_facts f;
  for (const header& h : headers) {
    add_field(h, strict, f);
    if (f.error != parse_error::none) break;
  }
  return f;
}

}  // namespace barrage::http::detail
