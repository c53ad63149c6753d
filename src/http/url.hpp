#pragma once
// The URLs barrage is pointed at: http:// or https://, a host (DNS name, IPv4, or IPv6
// literal in brackets), an optional port, path and query. The fragment is dropped (it is
// never sent). Errors say what is wrong in words a command-line user understands.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace barrage::http {

enum class url_scheme : std::uint8_t { http, https };

struct url {
  url_scheme scheme = url_scheme::http;
  std::string host;         // lower-cased; an IPv6 literal without its brackets
  std::uint16_t port = 80;  // the scheme's default unless given
  bool ipv6 = false;
  std::string path = "/";   // never empty
  std::string query;        // without the '?'; empty when absent

  /// The request-target: path, then '?' and the query if there is one.
  std::string target() const;
  /// The Host field value: host[:port], the port left out when it is the scheme's default,
  /// an IPv6 literal in brackets.
  std::string host_header() const;
  std::uint16_t default_port() const noexcept { return scheme == url_scheme::https ? 443 : 80; }
};

enum class url_error : std::uint8_t {
  empty,
  bad_character,       // whitespace, control or non-ASCII byte
  missing_scheme,
  unsupported_scheme,
  userinfo,
  empty_host,
  bad_host,
  bad_ipv6,
  bad_port,
  port_out_of_range,
  bad_percent_encoding,
  bad_path,            // a character that must be percent-encoded in path or query
};

/// A readable sentence for error messages. Never null.
const char* to_string(url_error e) noexcept;

result<url, url_error> parse_url(std::string_view text);

}  // namespace barrage::http
