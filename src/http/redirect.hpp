#pragma once
// Following a redirect (RFC 9110 §15.4): which responses are redirects to follow, where the
// Location field points (absolute, or relative to the URL that was requested, RFC 3986 §5.2),
// and which method and body the next request keeps.
#include <cstdint>
#include <string_view>

#include "base/result.hpp"
#include "http/url.hpp"

namespace barrage::http {

/// 301, 302, 303, 307 and 308: the statuses with a Location to follow. (300 and 305 are not
/// followed, as curl and browsers do not.)
constexpr bool is_followed_redirect(unsigned status) noexcept {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/// 301, 302 and 303 turn the next request into a GET without a body (HEAD stays HEAD), as
/// browsers and curl do; 307 and 308 keep the method and the body.
constexpr bool redirect_keeps_method(unsigned status) noexcept { return status == 307 || status == 308; }

/// The URL `location` refers to, resolved against `base` (the URL just requested): an
/// absolute http:// or https:// URL, a network-path reference (//host/...), an absolute path
/// (/x) or a relative one (x, ../x, ?q). The fragment is dropped.
result<url, url_error> resolve_location(const url& base, std::string_view location);

/// Whether two URLs reach the same origin server over the same connection: scheme, host and port.
bool same_origin(const url& a, const url& b) noexcept;

}  // namespace barrage::http
