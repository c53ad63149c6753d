#include "http/url.hpp"

#include "http/authority.hpp"
#include "http/char_class.hpp"
#include "http/message.hpp"

namespace barrage::http {

const char* to_string(url_error e) noexcept {
  switch (e) {
    case url_error::empty: return "the URL is empty";
    case url_error::bad_character:
      return "the URL contains whitespace, a control character or a non-ASCII byte "
             "(percent-encode it)";
    case url_error::missing_scheme: return "the URL must start with http:// or https://";
    case url_error::unsupported_scheme: return "unsupported scheme: only http and https are supported";
    case url_error::userinfo: return "user information (user@) in the URL is not supported";
    case url_error::empty_host: return "the URL has no host";
    case url_error::bad_host: return "the host may only contain letters, digits, '-', '.' and '_'";
    case url_error::bad_ipv6: return "invalid IPv6 address (write it in brackets, e.g. http://[::1]:8080/)";
    case url_error::bad_port: return "the port must be decimal digits";
    case url_error::port_out_of_range: return "the port must be between 1 and 65535";
    case url_error::bad_percent_encoding: return "'%' must be followed by two hex digits";
    case url_error::bad_path: return "the path or query contains a character that must be percent-encoded";
  }
  return "invalid URL";
}

namespace {

bool is_dns_host(std::string_view h) {
  for (char c : h) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

url_error authority_to_url_error(detail::authority_error e) {
  switch (e) {
    case detail::authority_error::empty_host: return url_error::empty_host;
    case detail::authority_error::bad_ipv6: return url_error::bad_ipv6;
    case detail::authority_error::bad_port: return url_error::bad_port;
    case detail::authority_error::port_range: return url_error::port_out_of_range;
    default: return url_error::bad_host;
  }
}

// Path and query: RFC 3986 pchar plus '/' and '?', and %HH. False with `error` set if not.
bool check_path_chars(std::string_view s, url_error& error) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || detail::hex_value(s[i + 1]) < 0 || detail::hex_value(s[i + 2]) < 0) {
        error = url_error::bad_percent_encoding;
        return false;
      }
      i += 2;
    } else if (!detail::is_target_char(s[i])) {
      error = url_error::bad_path;
      return false;
    }
  }
  return true;
}

bool parse_scheme(std::string_view s, url& out) {
  if (iequals(s, "http")) {
    out.scheme = url_scheme::http;
  } else if (iequals(s, "https")) {
    out.scheme = url_scheme::https;
  } else {
    return false;
  }
  return true;
}

result<url, url_error> parse_authority(std::string_view authority, url u) {
  if (authority.find('@') != std::string_view::npos) return fail(url_error::userinfo);
  detail::authority_parts parts;
  if (const auto e = detail::split_authority(authority, parts); e != detail::authority_error::none)
    return fail(authority_to_url_error(e));
  if (!parts.ipv6 && !is_dns_host(parts.host)) return fail(url_error::bad_host);
  u.host.reserve(parts.host.size());
  for (char c : parts.host) u.host.push_back(detail::to_lower(c));
  u.ipv6 = parts.ipv6;
  u.port = parts.has_port ? parts.port : u.default_port();
  return u;
}

}  // namespace

result<url, url_error> parse_url(std::string_view text) {
  if (text.empty()) return fail(url_error::empty);
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7f) return fail(url_error::bad_character);
  }
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return fail(url_error::missing_scheme);
  url u;
  if (!parse_scheme(text.substr(0, sep), u)) return fail(url_error::unsupported_scheme);
  std::string_view rest = text.substr(sep + 3);
  rest = rest.substr(0, rest.find('#'));  // the fragment is never sent
  const std::size_t path_at = rest.find_first_of("/?");
  auto r = parse_authority(rest.substr(0, path_at), std::move(u));
  if (!r) return r;
  if (path_at == std::string_view::npos) return r;
  const std::string_view path_query = rest.substr(path_at);
  if (url_error e{}; !check_path_chars(path_query, e)) return fail(e);
  const std::size_t q = path_query.find('?');
  const std::string_view path = path_query.substr(0, q);
  r->path = path.empty() ? "/" : std::string(path);
  if (q != std::string_view::npos) r->query = std::string(path_query.substr(q + 1));
  return r;
}

std::string url::target() const {
  return query.empty() ? path : path + "?" + query;
}

std::string url::host_header() const {
  std::string h = ipv6 ? "[" + host + "]" : host;
  if (port != default_port()) h += ":" + std::to_string(port);
  return h;
}

}  // namespace barrage::http
