#include "http/message.hpp"

#include "http/char_class.hpp"

namespace barrage::http {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (detail::to_lower(a[i]) != detail::to_lower(b[i])) return false;
  return true;
}

const header* find_header(std::span<const header> headers, std::string_view name) noexcept {
  for (const header& h : headers)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

parse_error parse_http_version(std::string_view text, http_version& out) noexcept {
  if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || !detail::is_digit(text[5]) ||
      text[6] != '.' || !detail::is_digit(text[7]))
    return parse_error::bad_version;
  if (text[5] != '1' || (text[7] != '0' && text[7] != '1')) return parse_error::unsupported_version;
  out = text[7] == '0' ? http_version::http_1_0 : http_version::http_1_1;
  return parse_error::none;
}

namespace {
std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && detail::is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && detail::is_ows(s.back())) s.remove_suffix(1);
  return s;
}
}  // namespace

bool list_has_token(std::string_view value, std::string_view token) noexcept {
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size() && value[i] != ',') continue;
    if (iequals(trim_ows(value.substr(begin, i - begin)), token)) return true;
    begin = i + 1;
  }
  return false;
}

}  // namespace barrage::http
