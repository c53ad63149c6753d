#include "http/authority.hpp"

#include "http/char_class.hpp"

namespace barrage::http::detail {

bool is_ipv4_address(std::string_view s) noexcept {
  int octets = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t j = i;
    unsigned v = 0;
    while (j < s.size() && is_digit(s[j]) && j - i < 4) v = v * 10 + static_cast<unsigned>(s[j++] - '0');
    const std::size_t digits = j - i;
    if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[i] == '0')) return false;
    ++octets;
    if (j == s.size()) return octets == 4;
    if (s[j] != '.' || octets == 4) return false;
    i = j + 1;
  }
}

namespace {

// Counts the hex digits of one group starting at i.
std::size_t hex_run(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && hex_value(s[j]) >= 0) ++j;
  return j - i;
}

}  // namespace

bool is_ipv6_address(std::string_view s) noexcept {
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    i = 2;
  } else if (s.empty() || s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    const std::size_t h = hex_run(s, i);
    if (i + h < s.size() && s[i + h] == '.') {  // IPv4 tail: the last 32 bits
      if (!is_ipv4_address(s.substr(i))) return false;
      groups += 2;
      break;
    }
    if (h == 0 || h > 4) return false;
    ++groups;
    i += h;
    if (i == s.size()) break;
    if (s[i] != ':' || ++i == s.size()) return false;
    if (s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

namespace {

bool is_reg_name(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) return false;
      i += 2;
    } else if (!is_reg_name_char(s[i])) {
      return false;
    }
  }
  return true;
}

authority_error parse_port(std::string_view digits, authority_parts& out) {
  if (digits.empty() || digits.size() > 5) return authority_error::bad_port;
  unsigned v = 0;
  for (char c : digits) {
    if (!is_digit(c)) return authority_error::bad_port;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return authority_error::port_range;
  out.has_port = true;
  out.port = static_cast<std::uint16_t>(v);
  return authority_error::none;
}

}  // namespace

authority_error split_authority(std::string_view s, authority_parts& out) noexcept {
  out = {};
  std::string_view rest;
  if (!s.empty() && s[0] == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos) return authority_error::bad_ipv6;
    out.host = s.substr(1, close - 1);
    out.ipv6 = true;
    if (!is_ipv6_address(out.host)) return authority_error::bad_ipv6;
    rest = s.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return authority_error::bad_host;
  } else {
    const std::size_t colon = s.find(':');
    out.host = s.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : s.substr(colon);
    if (out.host.empty()) return authority_error::empty_host;
    if (!is_reg_name(out.host)) return authority_error::bad_host;
  }
  if (rest.empty()) return authority_error::none;
  return parse_port(rest.substr(1), out);
}

}  // namespace barrage::http::detail
