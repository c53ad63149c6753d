#pragma once
// Byte classes of RFC 9110/9112/3986 as 256-entry tables: one load and one test per byte,
// no branches on ranges in the parsers' hot loops. Internal to the http layer.
#include <array>
#include <cstdint>
#include <string_view>

namespace barrage::http::detail {

enum char_bits : std::uint8_t {
  token_bit = 1,    // tchar (RFC 9110 §5.6.2): method, field name, transfer coding
  field_bit = 2,    // field-vchar / SP / HTAB / obs-text (RFC 9110 §5.5): field value, reason
  target_bit = 4,   // pchar minus '%', plus '/' and '?' (RFC 3986): request target
  reg_name_bit = 8, // unreserved / sub-delims (RFC 3986 §3.2.2): host names
  path_bit = 16,    // target bytes that need no second look: not '%', not '?'
};

constexpr std::array<std::uint8_t, 256> make_char_table() {
  std::array<std::uint8_t, 256> t{};
  constexpr std::string_view tchar_punct = "!#$%&'*+-.^_`|~";
  constexpr std::string_view sub_delims = "!$&'()*+,;=";
  constexpr std::string_view unreserved_punct = "-._~";
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const char ch = static_cast<char>(c);
    std::uint8_t bits = 0;
    if (alnum || tchar_punct.find(ch) != std::string_view::npos) bits |= token_bit;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) bits |= field_bit;
    const bool unreserved = alnum || unreserved_punct.find(ch) != std::string_view::npos;
    const bool sub_delim = sub_delims.find(ch) != std::string_view::npos;
    if (unreserved || sub_delim || ch == ':' || ch == '@' || ch == '/' || ch == '?') bits |= target_bit;
    if (unreserved || sub_delim) bits |= reg_name_bit;
    if ((bits & target_bit) && ch != '?') bits |= path_bit;
    t[static_cast<std::size_t>(c)] = bits;
  }
  return t;
}

inline constexpr std::array<std::uint8_t, 256> char_table = make_char_table();

constexpr bool has_bits(char c, std::uint8_t bits) {
  return (char_table[static_cast<unsigned char>(c)] & bits) != 0;
}
constexpr bool is_token_char(char c) { return has_bits(c, token_bit); }
constexpr bool is_field_char(char c) { return has_bits(c, field_bit); }
constexpr bool is_target_char(char c) { return has_bits(c, target_bit); }
constexpr bool is_reg_name_char(char c) { return has_bits(c, reg_name_bit); }
constexpr bool is_plain_path_char(char c) { return has_bits(c, path_bit); }
constexpr bool is_ows(char c) { return c == ' ' || c == '\t'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// The value of a hex digit, or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

constexpr char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

/// Case-insensitive equality of a token with a lower-case name made of letters and '-'.
/// OR-ing 0x20 maps upper-case letters onto lower-case ones; the only other byte it maps onto
/// a letter or '-' is CR, which is not a token character.
constexpr bool equals_lower_name(std::string_view token, std::string_view lower) {
  if (token.size() != lower.size()) return false;
  for (std::size_t i = 0; i < token.size(); ++i)
    if ((token[i] | 0x20) != lower[i]) return false;
  return true;
}

}  // namespace barrage::http::detail
