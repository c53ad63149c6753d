#include "http/redirect.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace barrage::http {
namespace {

std::string_view scheme_name(url_scheme s) { return s == url_scheme::https ? "https" : "http"; }

std::string authority_of(const url& u) {
  std::string host = u.ipv6 ? "[" + u.host + "]" : u.host;
  return host + ":" + std::to_string(u.port);
}

/// RFC 3986 §5.2.4 on a path that starts with '/': removes "." and ".." segments (and empty
/// ones inside); the result starts with '/' and keeps a trailing '/'.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> out;
  bool dir = false;  // the last segment named a directory: the result ends in '/'
  std::size_t i = path.empty() || path.front() != '/' ? 0 : 1;
  for (;;) {
    const std::size_t j = std::min(path.find('/', i), path.size());
    const std::string_view seg = path.substr(i, j - i);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      dir = true;
    } else if (seg == "." || seg.empty()) {
      dir = true;
    } else {
      out.push_back(seg);
      dir = false;
    }
    if (j == path.size()) break;
    i = j + 1;
  }
  std::string r;
  for (auto s : out) (r += '/') += s;
  if (r.empty() || dir) r += '/';
  return r;
}

}  // namespace

result<url, url_error> resolve_location(const url& base, std::string_view location) {
  location = location.substr(0, location.find('#'));
  while (!location.empty() && (location.front() == ' ' || location.front() == '\t')) location.remove_prefix(1);
  while (!location.empty() && (location.back() == ' ' || location.back() == '\t')) location.remove_suffix(1);
  if (location.empty()) return fail(url_error::empty);
  // A scheme: letters, digits, + - . before the first ':' that comes before any '/', '?'.
  const std::size_t colon = location.find(':');
  const std::size_t delim = location.find_first_of("/?");
  if (colon != std::string_view::npos && (delim == std::string_view::npos || colon < delim))
    return parse_url(location);
  const std::string origin = std::string(scheme_name(base.scheme)) + "://";
  if (location.starts_with("//")) return parse_url(origin + std::string(location.substr(2)));
  const std::string prefix = origin + authority_of(base);
  std::string path, query;
  const std::size_t q = location.find('?');
  std::string_view ref_path = location.substr(0, q);
  if (q != std::string_view::npos) query = location.substr(q + 1);
  if (ref_path.empty()) {  // "?q": the same path, another query
    path = base.path;
  } else if (ref_path.front() == '/') {
    path = remove_dot_segments(ref_path);
  } else {  // merge with the base path's directory (RFC 3986 §5.2.3)
    std::string merged = base.path.substr(0, base.path.rfind('/') + 1);
    merged += ref_path;
    path = remove_dot_segments(merged);
  }
  std::string text = prefix + path;
  if (q != std::string_view::npos) (text += '?') += query;
  return parse_url(text);
}

bool same_origin(const url& a, const url& b) noexcept {
  return a.scheme == b.scheme && a.port == b.port && iequals(a.host, b.host);
}

}  // namespace barrage::http
