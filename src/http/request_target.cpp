#include "http/request_target.hpp"

#include "http/authority.hpp"
#include "http/char_class.hpp"
#include "http/message.hpp"

namespace barrage::http {

namespace {

using detail::hex_value;

parse_error bad_byte(char c) {
  if (c == '\0') return parse_error::nul_byte;
  if (c == '\r') return parse_error::bare_cr;
  return parse_error::bad_target;
}

// "%" HEXDIG HEXDIG at s[i]; in the path (not the query) a decoded control byte is refused.
parse_error check_escape(std::string_view s, std::size_t i, bool in_query) {
  if (i + 2 >= s.size()) return parse_error::bad_target;
  const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
  if (hi < 0 || lo < 0) return parse_error::bad_target;
  const int decoded = hi * 16 + lo;
  if (!in_query && (decoded < 0x20 || decoded == 0x7f)) return parse_error::bad_target;
  return parse_error::none;
}

// path-abempty / absolute-path [ "?" query ], from the first '/' (or '?') on.
parse_error parse_path_and_query(std::string_view s, request_target& out) {
  std::size_t query_at = std::string_view::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (detail::is_plain_path_char(s[i])) continue;
    if (s[i] == '%') {
      if (const parse_error e = check_escape(s, i, query_at != std::string_view::npos); e != parse_error::none)
        return e;
      i += 2;
    } else if (s[i] == '?') {
      if (query_at == std::string_view::npos) query_at = i;
    } else {
      return bad_byte(s[i]);
    }
  }
  out.path = s.substr(0, query_at);
  out.query = query_at == std::string_view::npos ? std::string_view{} : s.substr(query_at + 1);
  return parse_error::none;
}

parse_error check_authority(std::string_view a, bool port_required) {
  for (char c : a)
    if (c == '\0' || c == '\r') return bad_byte(c);
  detail::authority_parts parts;
  if (detail::split_authority(a, parts) != detail::authority_error::none) return parse_error::bad_target;
  if (port_required && !parts.has_port) return parse_error::bad_target;
  return parse_error::none;
}

// "http://" or "https://", case-insensitive; returns the length of the prefix or 0.
std::size_t http_scheme_prefix(std::string_view t) {
  if (t.size() > 7 && iequals(t.substr(0, 7), "http://")) return 7;
  if (t.size() > 8 && iequals(t.substr(0, 8), "https://")) return 8;
  return 0;
}

parse_error parse_absolute(std::string_view t, std::size_t prefix, request_target& out) {
  const std::string_view rest = t.substr(prefix);
  const std::size_t end = rest.find_first_of("/?");
  out.form = target_form::absolute;
  out.authority = rest.substr(0, end);
  if (const parse_error e = check_authority(out.authority, false); e != parse_error::none) return e;
  if (end == std::string_view::npos) return parse_error::none;
  return parse_path_and_query(rest.substr(end), out);
}

}  // namespace

parse_error parse_request_target(std::string_view method, std::string_view target,
                                 request_target& out) noexcept {
  out = {};
  if (target.empty()) return parse_error::bad_target;
  const bool connect = method == "CONNECT";
  if (connect) {
    out.form = target_form::authority;
    out.authority = target;
    return check_authority(target, true);
  }
  if (target[0] == '/') return parse_path_and_query(target, out);
  if (target == "*") {
    out.form = target_form::asterisk;
    return method == "OPTIONS" ? parse_error::none : parse_error::asterisk_without_options;
  }
  if (const std::size_t prefix = http_scheme_prefix(target); prefix != 0)
    return parse_absolute(target, prefix, out);
  return bad_byte(target[0]);
}

}  // namespace barrage::http
